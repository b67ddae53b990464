// The error classes of sipcreds. The regions between the `generated` markers are rendered
// from the core's error table (core/src/error/codes.rs) by `cargo xtask codegen`; do not edit
// them.

import type { ErrorBodyData, Usage } from './shapes'

/** Every error code of the contract (docs/errors.md). */
export type ErrorCode =
  // generated: codes (xtask/src/codegen.rs)
  | 'invalid_json'
  | 'too_large'
  | 'unknown_field'
  | 'missing_field'
  | 'invalid_name'
  | 'invalid_server'
  | 'invalid_auth_user'
  | 'invalid_auth_password'
  | 'incomplete_auth'
  | 'invalid_domain'
  | 'invalid_transport'
  | 'invalid_cps_limit'
  | 'invalid_cps_key'
  | 'invalid_org'
  | 'invalid_phone_number'
  | 'invalid_symptom'
  | 'invalid_option'
  | 'not_found'
  | 'read_only'
  | 'in_use'
  | 'conflict'
  | 'storage'
  | 'unauthorized'
  | 'forbidden'
  | 'too_many_requests'
  | 'internal'
  // end of generated: codes

/** The contract's error JSON (docs/errors.md), its code one of the table's. */
export interface ErrorBody extends ErrorBodyData {
  code: ErrorCode
}

/** Base class of every sipcreds error. */
export declare class SipcredsError extends Error {
  /** The stable code (`invalid_server`, `not_found`, `in_use`, ...): the same on every surface. */
  readonly code: ErrorCode
  /** The wire field the error is about, or `null`. */
  readonly field: string | null
  /** The docs/errors.md error JSON, as on every surface. */
  toJSON(): { error: ErrorBody }
}
// generated: classes (xtask/src/codegen.rs)
/** Invalid input: a bad field value, unknown or missing field, malformed JSON, bad org, bad phone number, unknown symptom, or an option that does not parse. `code` says which. Codes: invalid_json, too_large, unknown_field, missing_field, invalid_name, invalid_server, invalid_auth_user, invalid_auth_password, incomplete_auth, invalid_domain, invalid_transport, invalid_cps_limit, invalid_cps_key, invalid_org, invalid_phone_number, invalid_symptom, invalid_option. */
export declare class ValidationError extends SipcredsError {}
/** No such object in this org (an object of another org is not found either). Codes: not_found. */
export declare class NotFoundError extends SipcredsError {}
/** The credential belongs to a connected provider and cannot be changed here. Codes: read_only. */
export declare class ReadOnlyError extends SipcredsError {}
/** The credential is in use; `usage` lists the numbers and agents that use it. Codes: in_use. */
export declare class InUseError extends SipcredsError {
  readonly usage: Usage
}
/** The update carried an `expectedVersion` that is not the current version; `expectedVersion` and `actualVersion` say both. Codes: conflict. */
export declare class ConflictError extends SipcredsError {
  readonly expectedVersion: number
  readonly actualVersion: number
}
/** The store failed: the file, the key, or the database. Codes: storage. */
export declare class StorageError extends SipcredsError {}
/** The HTTP API refused the request: no token or an unknown one (`unauthorized`), or one whose role or origin does not allow it (`forbidden`). Codes: unauthorized, forbidden. */
export declare class AccessError extends SipcredsError {}
/** The HTTP API refused the request for now: too many for the token, or a probe of the same credential too soon; `retryAfterMs` says when to retry. Codes: too_many_requests. */
export declare class TooManyRequestsError extends SipcredsError {
  readonly retryAfterMs: number
}
/** Something unexpected failed in the server; the body has no detail, the server's log has it under the request id. Codes: internal. */
export declare class InternalError extends SipcredsError {}
// end of generated: classes
