'use strict'
// The error classes of sipcreds. The region between the `generated` markers is rendered from
// the core's error table (core/src/error/codes.rs) by `cargo xtask codegen`; do not edit it.

/** Base class of every sipcreds error: `.code` (stable, the same on every surface), `.field`. */
class SipcredsError extends Error {
  // The core's error JSON, kept off the enumerable properties; read through `body`.
  #body

  constructor(message, code, field = null, details = undefined, body = undefined) {
    super(message)
    this.code = code
    this.field = field
    if (details) Object.assign(this, details)
    this.#body = body
  }

  /** The core's error JSON text, when the error came from the core. */
  get body() {
    return this.#body
  }

  /** The contract's error JSON (docs/errors.md) with the code's extras, as the core wrote it: the
   * same on every surface. */
  toJSON() {
    if (typeof this.body === 'string') return JSON.parse(this.body)
    const error = { code: this.code, field: this.field, message: this.message }
    if (this.usage !== undefined) error.usage = this.usage
    if (this.expectedVersion !== undefined) {
      error.expectedVersion = this.expectedVersion
      error.actualVersion = this.actualVersion
    }
    return { error }
  }
}

// generated: classes (xtask/src/codegen.rs)

/** Invalid input: a bad field value, unknown or missing field, malformed JSON, bad org, bad phone number, unknown symptom, or an option that does not parse. `code` says which. Codes: invalid_json, too_large, unknown_field, missing_field, invalid_name, invalid_server, invalid_auth_user, invalid_auth_password, incomplete_auth, invalid_domain, invalid_transport, invalid_cps_limit, invalid_cps_key, invalid_org, invalid_phone_number, invalid_symptom, invalid_option. */
class ValidationError extends SipcredsError {}

/** No such object in this org (an object of another org is not found either). Codes: not_found. */
class NotFoundError extends SipcredsError {}

/** The credential belongs to a connected provider and cannot be changed here. Codes: read_only. */
class ReadOnlyError extends SipcredsError {}

/** The credential is in use; `usage` lists the numbers and agents that use it. Codes: in_use. */
class InUseError extends SipcredsError {}

/** The update carried an `expectedVersion` that is not the current version; `expectedVersion` and `actualVersion` say both. Codes: conflict. */
class ConflictError extends SipcredsError {}

/** The store failed: the file, the key, or the database. Codes: storage. */
class StorageError extends SipcredsError {}

/** The HTTP API refused the request: no token or an unknown one (`unauthorized`), or one whose role or origin does not allow it (`forbidden`). Codes: unauthorized, forbidden. */
class AccessError extends SipcredsError {}

/** The HTTP API refused the request for now: too many for the token, or a probe of the same credential too soon; `retryAfterMs` says when to retry. Codes: too_many_requests. */
class TooManyRequestsError extends SipcredsError {}

/** Something unexpected failed in the server; the body has no detail, the server's log has it under the request id. Codes: internal. */
class InternalError extends SipcredsError {}

for (const C of [SipcredsError, ValidationError, NotFoundError, ReadOnlyError, InUseError, ConflictError, StorageError, AccessError, TooManyRequestsError, InternalError]) {
  Object.defineProperty(C.prototype, 'name', { value: C.name, writable: true, configurable: true })
}

/** The class of each code. */
const CLASS_OF = Object.freeze({
  invalid_json: ValidationError,
  too_large: ValidationError,
  unknown_field: ValidationError,
  missing_field: ValidationError,
  invalid_name: ValidationError,
  invalid_server: ValidationError,
  invalid_auth_user: ValidationError,
  invalid_auth_password: ValidationError,
  incomplete_auth: ValidationError,
  invalid_domain: ValidationError,
  invalid_transport: ValidationError,
  invalid_cps_limit: ValidationError,
  invalid_cps_key: ValidationError,
  invalid_org: ValidationError,
  invalid_phone_number: ValidationError,
  invalid_symptom: ValidationError,
  invalid_option: ValidationError,
  not_found: NotFoundError,
  read_only: ReadOnlyError,
  in_use: InUseError,
  conflict: ConflictError,
  storage: StorageError,
  unauthorized: AccessError,
  forbidden: AccessError,
  too_many_requests: TooManyRequestsError,
  internal: InternalError,
})

/** The extra members of each code's error body, as properties. */
const EXTRAS = Object.freeze({
  in_use: ['usage'],
  conflict: ['expectedVersion', 'actualVersion'],
  too_many_requests: ['retryAfterMs'],
})

module.exports = {
  SipcredsError,
  ValidationError,
  NotFoundError,
  ReadOnlyError,
  InUseError,
  ConflictError,
  StorageError,
  AccessError,
  TooManyRequestsError,
  InternalError,
  CLASS_OF,
  EXTRAS,
}
// end of generated: classes
