// The output shapes of sipcreds (docs/README.md), generated from the core's serde types (core, `sipcreds::output_schemas`) by `cargo xtask codegen`; do not edit.

/** The normalized fields of a credential input (docs/README.md), borrowing what they can: what `CredentialInput::to_normalized_json_string` writes, and what a binding reads to build its own objects without going through JSON. Never holds the password. */
export interface NormalizedCredential {
  /** `name`. */
  name: string | null
  /** `server`: the normalized host (IPv6 in brackets) and the port if one was given. */
  server: string
  /** `host`: bare (IPv6 without brackets). */
  host: string
  /** `port`: the effective port. */
  port: number
  /** `transport`, lowercase. */
  transport: 'udp' | 'tcp' | 'tls'
  /** `authUser`. */
  authUser: string | null
  /** `hasPassword`. */
  hasPassword: boolean
  /** `domain`, as written (IPv6 in brackets). */
  domain: string | null
  /** `realm`: the domain's host, else the server's, bare. */
  realm: string
  /** `cpsLimit`. */
  cpsLimit: number | null
  /** `cpsKey`. */
  cpsKey: string | null
}

/** A credential as every surface shows it (docs/fields.md), fields in the order of docs/fields.md. Never holds the password. */
export interface CredentialData {
  /** `id`. */
  id: string
  /** `org`. */
  org: string
  /** `name`. */
  name: string | null
  /** `server`: the normalized host (IPv6 in brackets) and the port if one was given. */
  server: string
  /** `host`: bare (IPv6 without brackets). */
  host: string
  /** `port`: the effective port. */
  port: number
  /** `transport`, lowercase. */
  transport: 'udp' | 'tcp' | 'tls'
  /** `authUser`. */
  authUser: string | null
  /** `hasPassword`. */
  hasPassword: boolean
  /** `domain`, as written (IPv6 in brackets). */
  domain: string | null
  /** `realm`: the domain's host, else the server's, bare. */
  realm: string
  /** `cpsLimit`. */
  cpsLimit: number | null
  /** `cpsKey`. */
  cpsKey: string | null
  /** `source`: `manual` or `provider`. */
  source: 'manual' | 'provider'
  /** `providerId`. */
  providerId: string | null
  /** `readOnly`. */
  readOnly: boolean
  /** `version`. */
  version: number
  /** `createdAt`. */
  createdAt: string
  /** `updatedAt`. */
  updatedAt: string
}

/** A phone number and the credential it is linked to, if any: `{"number", "credentialId"}`. */
export interface PhoneNumber {
  /** The E.164 number. */
  number: string
  /** The credential it is linked to. */
  credentialId: string | null
}

/** An agent and the numbers it uses: `{"id", "org", "name", "numbers", "createdAt"}`. */
export interface Agent {
  /** Its id. */
  id: string
  /** Its organization. */
  org: string
  /** Its name. */
  name: string
  /** The numbers it uses, sorted. */
  numbers: string[]
  /** Creation time. */
  createdAt: string
}

/** A connected provider: `{"id", "org", "kind", "name", "createdAt"}`. */
export interface Provider {
  /** Its id. */
  id: string
  /** Its organization. */
  org: string
  /** Its kind (`twilio`, `telnyx`, ...), lowercase. */
  kind: string
  /** Its name. */
  name: string
  /** Creation time. */
  createdAt: string
}

/** A connected provider and the credentials it owns: `{"provider", "credentials"}`. */
export interface ConnectedProviderData {
  /** The provider. */
  provider: Provider
  /** Its read-only credentials. */
  credentials: CredentialData[]
}

/** One agent in a usage report. */
export interface AgentUsage {
  /** The agent's id. */
  id: string
  /** The agent's name. */
  name: string
  /** The credential's numbers this agent uses, sorted. */
  via: string[]
}

/** The phone numbers linked to a credential and the agents that use one of them. */
export interface Usage {
  /** The linked numbers, sorted. */
  phoneNumbers: string[]
  /** The agents using any of them, sorted by id. */
  agents: AgentUsage[]
}

/** What a forced (or unneeded-force) delete did. */
export interface DeleteReport {
  /** The deleted credential. */
  deleted: string
  /** The numbers that were linked to it and are now unlinked. */
  unlinkedNumbers: string[]
}

/** What deleting a provider did. */
export interface ProviderDeleteReport {
  /** The deleted provider. */
  deleted: string
  /** Its credentials, deleted with it. */
  deletedCredentials: string[]
  /** The numbers that were linked to them and are now unlinked. */
  unlinkedNumbers: string[]
}

/** How serious a finding is. */
export type Severity = 'error' | 'warning' | 'info'

/** One finding: `{code, severity, field, message, fix}`, and the credential it is about when several are linted together. */
export interface Finding {
  /** Stable snake_case code. */
  code: string
  /** How serious it is. */
  severity: Severity
  /** The wire field it is about. */
  field: string
  /** What is wrong. */
  message: string
  /** How to fix it. */
  fix: string
  /** The credential (its id, or `#N` for the N-th input of a file), when linting a set. */
  credential?: string | null
}

/** One likely cause. */
export interface Cause {
  /** Stable snake_case code of the cause. */
  code: string
  /** What is probably wrong. */
  cause: string
  /** What to do. */
  fix: string
  /** The credential fields to check. */
  fields: string[]
}

/** The answer of `diagnose`. */
export interface Diagnosis {
  /** The symptom, normalized (`"401"`, `"timeout"`, ...). */
  symptom: string
  /** What the symptom means. */
  summary: string
  /** The reason phrase given, if any. */
  reason?: string | null
  /** Likely causes, most likely first. */
  causes: Cause[]
}

/** One rate group: `(org, cpsKey)` when the key is set, else the credential alone. */
export interface RateGroup {
  /** `key:<cpsKey>` for a shared group, `credential:<id>` for a credential alone (`group_key`). */
  key: string
  /** The `cpsKey`, for a shared group. */
  cpsKey: string | null
  /** The member credentials, in creation order. */
  members: string[]
  /** The smallest `cpsLimit` among the members that set one; `None` is unlimited. */
  limit: number | null
  /** True when members set different limits (a lint warning). */
  conflictingLimits: boolean
}

/** One entry of the published code list: `{"code", "number", "description"}`. */
export interface ErrorCodeInfo {
  /** The snake_case code. */
  code: string
  /** Its C status number. */
  number: number
  /** What it means. */
  description: string
}

/** The body of an error (docs/errors.md), in the order every surface writes it. */
export interface ErrorBodyData {
  /** The stable code (or a C-only status name). */
  code: string
  /** The field (or option) it is about. */
  field: string | null
  /** What is wrong and how to fix it. */
  message: string
  /** `in_use`: what uses the credential. */
  usage?: Usage | null
  /** `conflict`: the version the caller expected. */
  expectedVersion?: number | null
  /** `conflict`: the stored version. */
  actualVersion?: number | null
  /** `too_many_requests`: how long to wait before a retry can succeed. */
  retryAfterMs?: number | null
}

/** A rate-limit decision: admitted (dial after `waitMs`), or rejected (retry after `retryAfterMs`). Milliseconds, rounded up. */
export type Decision = { admitted: true; waitMs: number } | { admitted: false; retryAfterMs: number }

/** What a token may do. */
export type TokenRole = 'read' | 'write'

/** A token as listed: never its text, nor its hash. */
export interface TokenInfo {
  /** Its id (`tok_` and a ULID): what `tokens revoke` takes. */
  id: string
  /** Its organization. */
  org: string
  /** Its name, if it was given one. */
  name: string | null
  /** `read` or `write`. */
  role: TokenRole
  /** When it was made. */
  createdAt: string
  /** When it was last used, to the minute (`null`: never). */
  lastUsedAt: string | null
}

/** A token just made, as every surface shows it once: `{"id", "name", "role", "org", "token", "createdAt"}`. */
export interface NewToken {
  /** Its id (`tok_...`), for `list_tokens` and `revoke_token`. */
  id: string
  /** Its name. */
  name: string | null
  /** `read` or `write`. */
  role: TokenRole
  /** Its organization. */
  org: string
  /** The token (`sct_...`): shown once, then only its hash is kept. */
  token: string
  /** When it was made. */
  createdAt: string
}

/** A credential's health. */
export type HealthState = 'unknown' | 'up' | 'degraded' | 'down' | 'rejected' | 'paused'

/** A credential's health record (docs/README.md): the same JSON on every surface. */
export interface HealthRecord {
  /** The credential. */
  credentialId: string
  /** Its state. */
  state: HealthState
  /** When the state began. */
  since: string
  /** When it was last probed (`null`: not since it changed). */
  lastProbeAt: string | null
  /** When it is due (`null`: not scheduled, as when `paused` or `rejected`). */
  nextProbeAt: string | null
  /** Failures of one kind (hard, soft or credentials) in a row, up to the last probe. */
  consecutiveFailures: number
  /** Successes in a row, up to the last probe. */
  consecutiveSuccesses: number
  /** The last probe's outcome code. */
  lastOutcome: string | null
  /** The last SIP status seen. */
  lastStatus: number | null
  /** Its reason phrase. */
  lastReason: string | null
  /** The last round trip, in milliseconds. */
  lastRttMs: number | null
  /** Probes since the state began (the one that began it included). */
  probes: number
  /** Failures among them. */
  failures: number
}

/** A transition, kept as an event (the last `EVENTS_KEPT` per credential). */
export interface HealthEvent {
  /** When. */
  at: string
  /** The credential. */
  credentialId: string
  /** The state before. */
  from: HealthState
  /** The state after. */
  to: HealthState
  /** The probe outcome that made it (`null`: a change, a pause or a resume). */
  outcome: string | null
  /** Its SIP status. */
  status: number | null
  /** Its reason phrase. */
  reason: string | null
}

/** A credential as create takes it (docs/fields.md): `server` required, the other fields optional; unknown keys are refused. */
export interface CredentialInput {
  /** A display name; null clears it on update. */
  name?: string | null
  /** The SIP server: host or host:port, no scheme, user, path or parameters. */
  server: string
  /** The digest user; comes with authPassword. */
  authUser?: string | null
  /** The digest password; comes with authUser; never shown. */
  authPassword?: string | null
  /** The SIP domain (and digest realm) when it differs from the server's host. */
  domain?: string | null
  /** udp, tcp or tls, in any case. */
  transport?: 'udp' | 'tcp' | 'tls' | 'UDP' | 'TCP' | 'TLS'
  /** Calls per second allowed to this credential's rate group. */
  cpsLimit?: number | null
  /** Credentials of one org with the same key share one CPS limit. */
  cpsKey?: string | null
}

/** The fields update changes (docs/fields.md): each optional, `null` clears it; `expectedVersion` refuses a stale update. */
export interface CredentialPatch {
  /** A display name; null clears it on update. */
  name?: string | null
  /** The SIP server: host or host:port, no scheme, user, path or parameters. */
  server?: string
  /** The digest user; comes with authPassword. */
  authUser?: string | null
  /** The digest password; comes with authUser; never shown. */
  authPassword?: string | null
  /** The SIP domain (and digest realm) when it differs from the server's host. */
  domain?: string | null
  /** udp, tcp or tls, in any case. */
  transport?: 'udp' | 'tcp' | 'tls' | 'UDP' | 'TCP' | 'TLS'
  /** Calls per second allowed to this credential's rate group. */
  cpsLimit?: number | null
  /** Credentials of one org with the same key share one CPS limit. */
  cpsKey?: string | null
  /** Update only: refuse with conflict unless this is the stored version. */
  expectedVersion?: number
}
