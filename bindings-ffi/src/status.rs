// generated from the core's error table (core/src/error/codes.rs) by `cargo xtask codegen`; do not edit.

use std::ffi::CStr;

use sipcreds::ErrorCode;

/// The outcome of a call: `SIPCREDS_OK`, or the fixed number of an error code of the contract
/// (docs/errors.md), or one of the C-only statuses from 1000 up. A number never changes meaning and is
/// never reused.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum sipcreds_status {
    /// Success.
    SIPCREDS_OK = 0,
    /// `invalid_json`: the body is not one JSON object, or has a syntax error or a duplicate key.
    SIPCREDS_INVALID_JSON = 1,
    /// `too_large`: the body is larger than 64 KiB.
    SIPCREDS_TOO_LARGE = 2,
    /// `unknown_field`: the body has a field the wire format does not know.
    SIPCREDS_UNKNOWN_FIELD = 3,
    /// `missing_field`: a required field is missing.
    SIPCREDS_MISSING_FIELD = 4,
    /// `invalid_name`: name must be 1-100 characters without control characters.
    SIPCREDS_INVALID_NAME = 5,
    /// `invalid_server`: server must be host or host:port.
    SIPCREDS_INVALID_SERVER = 6,
    /// `invalid_auth_user`: authUser must be 1-128 characters of an RFC 3261 user part.
    SIPCREDS_INVALID_AUTH_USER = 7,
    /// `invalid_auth_password`: authPassword must be 1-256 characters without control characters.
    SIPCREDS_INVALID_AUTH_PASSWORD = 8,
    /// `incomplete_auth`: authUser and authPassword come together or not at all.
    SIPCREDS_INCOMPLETE_AUTH = 9,
    /// `invalid_domain`: domain must be a host (DNS name, IPv4 or bracketed IPv6) without a port.
    SIPCREDS_INVALID_DOMAIN = 10,
    /// `invalid_transport`: transport must be udp, tcp or tls.
    SIPCREDS_INVALID_TRANSPORT = 11,
    /// `invalid_cps_limit`: cpsLimit must be an integer from 1 to 10000.
    SIPCREDS_INVALID_CPS_LIMIT = 12,
    /// `invalid_cps_key`: cpsKey must be 1-64 characters of A-Z a-z 0-9 . _ : -.
    SIPCREDS_INVALID_CPS_KEY = 13,
    /// `invalid_org`: org must be 1-64 characters of A-Z a-z 0-9 . _ -.
    SIPCREDS_INVALID_ORG = 14,
    /// `invalid_phone_number`: phone numbers must be E.164: +, first digit 1-9, 8-15 digits.
    SIPCREDS_INVALID_PHONE_NUMBER = 15,
    /// `invalid_symptom`: diagnose does not know this symptom.
    SIPCREDS_INVALID_SYMPTOM = 16,
    /// `invalid_option`: an option of the operation (a limiter URL, a wait, a page, a timeout) does not parse.
    SIPCREDS_INVALID_OPTION = 22,
    /// `not_found`: no such object in this organization.
    SIPCREDS_NOT_FOUND = 17,
    /// `read_only`: the credential is managed by a provider and cannot be changed here.
    SIPCREDS_READ_ONLY = 18,
    /// `in_use`: the credential is linked to phone numbers; unlink them or force the delete.
    SIPCREDS_IN_USE = 19,
    /// `conflict`: expectedVersion does not match the stored version.
    SIPCREDS_CONFLICT = 20,
    /// `storage`: the storage backend failed.
    SIPCREDS_STORAGE = 21,
    /// `unauthorized`: the HTTP API got no token, or one it does not know or that was revoked.
    SIPCREDS_UNAUTHORIZED = 23,
    /// `forbidden`: the token's role does not allow this request (or a signed-in request came from another origin).
    SIPCREDS_FORBIDDEN = 24,
    /// `too_many_requests`: too many requests for the token (or probes of the credential); retry after retryAfterMs.
    SIPCREDS_TOO_MANY_REQUESTS = 25,
    /// `internal`: something unexpected failed (a bug); the server logged it with the request id.
    SIPCREDS_INTERNAL = 1001,
    /// C only: a required pointer argument was NULL (the error JSON's field names it).
    SIPCREDS_NULL_ARGUMENT = 1000,
}

impl sipcreds_status {
    /// The status of a core error code.
    pub(crate) fn of(code: ErrorCode) -> sipcreds_status {
        match code {
            ErrorCode::InvalidJson => sipcreds_status::SIPCREDS_INVALID_JSON,
            ErrorCode::TooLarge => sipcreds_status::SIPCREDS_TOO_LARGE,
            ErrorCode::UnknownField => sipcreds_status::SIPCREDS_UNKNOWN_FIELD,
            ErrorCode::MissingField => sipcreds_status::SIPCREDS_MISSING_FIELD,
            ErrorCode::InvalidName => sipcreds_status::SIPCREDS_INVALID_NAME,
            ErrorCode::InvalidServer => sipcreds_status::SIPCREDS_INVALID_SERVER,
            ErrorCode::InvalidAuthUser => sipcreds_status::SIPCREDS_INVALID_AUTH_USER,
            ErrorCode::InvalidAuthPassword => sipcreds_status::SIPCREDS_INVALID_AUTH_PASSWORD,
            ErrorCode::IncompleteAuth => sipcreds_status::SIPCREDS_INCOMPLETE_AUTH,
            ErrorCode::InvalidDomain => sipcreds_status::SIPCREDS_INVALID_DOMAIN,
            ErrorCode::InvalidTransport => sipcreds_status::SIPCREDS_INVALID_TRANSPORT,
            ErrorCode::InvalidCpsLimit => sipcreds_status::SIPCREDS_INVALID_CPS_LIMIT,
            ErrorCode::InvalidCpsKey => sipcreds_status::SIPCREDS_INVALID_CPS_KEY,
            ErrorCode::InvalidOrg => sipcreds_status::SIPCREDS_INVALID_ORG,
            ErrorCode::InvalidPhoneNumber => sipcreds_status::SIPCREDS_INVALID_PHONE_NUMBER,
            ErrorCode::InvalidSymptom => sipcreds_status::SIPCREDS_INVALID_SYMPTOM,
            ErrorCode::InvalidOption => sipcreds_status::SIPCREDS_INVALID_OPTION,
            ErrorCode::NotFound => sipcreds_status::SIPCREDS_NOT_FOUND,
            ErrorCode::ReadOnly => sipcreds_status::SIPCREDS_READ_ONLY,
            ErrorCode::InUse => sipcreds_status::SIPCREDS_IN_USE,
            ErrorCode::Conflict => sipcreds_status::SIPCREDS_CONFLICT,
            ErrorCode::Storage => sipcreds_status::SIPCREDS_STORAGE,
            ErrorCode::Unauthorized => sipcreds_status::SIPCREDS_UNAUTHORIZED,
            ErrorCode::Forbidden => sipcreds_status::SIPCREDS_FORBIDDEN,
            ErrorCode::TooManyRequests => sipcreds_status::SIPCREDS_TOO_MANY_REQUESTS,
            ErrorCode::Internal => sipcreds_status::SIPCREDS_INTERNAL,
        }
    }

    /// Every status, success first.
    pub(crate) const ALL: [sipcreds_status; 28] = [
        sipcreds_status::SIPCREDS_OK,
        sipcreds_status::SIPCREDS_INVALID_JSON,
        sipcreds_status::SIPCREDS_TOO_LARGE,
        sipcreds_status::SIPCREDS_UNKNOWN_FIELD,
        sipcreds_status::SIPCREDS_MISSING_FIELD,
        sipcreds_status::SIPCREDS_INVALID_NAME,
        sipcreds_status::SIPCREDS_INVALID_SERVER,
        sipcreds_status::SIPCREDS_INVALID_AUTH_USER,
        sipcreds_status::SIPCREDS_INVALID_AUTH_PASSWORD,
        sipcreds_status::SIPCREDS_INCOMPLETE_AUTH,
        sipcreds_status::SIPCREDS_INVALID_DOMAIN,
        sipcreds_status::SIPCREDS_INVALID_TRANSPORT,
        sipcreds_status::SIPCREDS_INVALID_CPS_LIMIT,
        sipcreds_status::SIPCREDS_INVALID_CPS_KEY,
        sipcreds_status::SIPCREDS_INVALID_ORG,
        sipcreds_status::SIPCREDS_INVALID_PHONE_NUMBER,
        sipcreds_status::SIPCREDS_INVALID_SYMPTOM,
        sipcreds_status::SIPCREDS_INVALID_OPTION,
        sipcreds_status::SIPCREDS_NOT_FOUND,
        sipcreds_status::SIPCREDS_READ_ONLY,
        sipcreds_status::SIPCREDS_IN_USE,
        sipcreds_status::SIPCREDS_CONFLICT,
        sipcreds_status::SIPCREDS_STORAGE,
        sipcreds_status::SIPCREDS_UNAUTHORIZED,
        sipcreds_status::SIPCREDS_FORBIDDEN,
        sipcreds_status::SIPCREDS_TOO_MANY_REQUESTS,
        sipcreds_status::SIPCREDS_INTERNAL,
        sipcreds_status::SIPCREDS_NULL_ARGUMENT,
    ];

    /// The status's name: `ok`, the code, or the C-only name.
    pub(crate) fn name(self) -> &'static CStr {
        match self {
            sipcreds_status::SIPCREDS_OK => c"ok",
            sipcreds_status::SIPCREDS_INVALID_JSON => c"invalid_json",
            sipcreds_status::SIPCREDS_TOO_LARGE => c"too_large",
            sipcreds_status::SIPCREDS_UNKNOWN_FIELD => c"unknown_field",
            sipcreds_status::SIPCREDS_MISSING_FIELD => c"missing_field",
            sipcreds_status::SIPCREDS_INVALID_NAME => c"invalid_name",
            sipcreds_status::SIPCREDS_INVALID_SERVER => c"invalid_server",
            sipcreds_status::SIPCREDS_INVALID_AUTH_USER => c"invalid_auth_user",
            sipcreds_status::SIPCREDS_INVALID_AUTH_PASSWORD => c"invalid_auth_password",
            sipcreds_status::SIPCREDS_INCOMPLETE_AUTH => c"incomplete_auth",
            sipcreds_status::SIPCREDS_INVALID_DOMAIN => c"invalid_domain",
            sipcreds_status::SIPCREDS_INVALID_TRANSPORT => c"invalid_transport",
            sipcreds_status::SIPCREDS_INVALID_CPS_LIMIT => c"invalid_cps_limit",
            sipcreds_status::SIPCREDS_INVALID_CPS_KEY => c"invalid_cps_key",
            sipcreds_status::SIPCREDS_INVALID_ORG => c"invalid_org",
            sipcreds_status::SIPCREDS_INVALID_PHONE_NUMBER => c"invalid_phone_number",
            sipcreds_status::SIPCREDS_INVALID_SYMPTOM => c"invalid_symptom",
            sipcreds_status::SIPCREDS_INVALID_OPTION => c"invalid_option",
            sipcreds_status::SIPCREDS_NOT_FOUND => c"not_found",
            sipcreds_status::SIPCREDS_READ_ONLY => c"read_only",
            sipcreds_status::SIPCREDS_IN_USE => c"in_use",
            sipcreds_status::SIPCREDS_CONFLICT => c"conflict",
            sipcreds_status::SIPCREDS_STORAGE => c"storage",
            sipcreds_status::SIPCREDS_UNAUTHORIZED => c"unauthorized",
            sipcreds_status::SIPCREDS_FORBIDDEN => c"forbidden",
            sipcreds_status::SIPCREDS_TOO_MANY_REQUESTS => c"too_many_requests",
            sipcreds_status::SIPCREDS_INTERNAL => c"internal",
            sipcreds_status::SIPCREDS_NULL_ARGUMENT => c"null_argument",
        }
    }
}
