//! The stable error codes (§8): one table, and all that is derived from it.

use std::fmt;

use serde::Serialize;

/// Declares [`ErrorCode`] and everything derived from the one table below: the enum, its
/// string and number forms, the descriptions, [`ErrorCode::ALL`] and each code's
/// [`ErrorClass`]. The C status enum, the Python and Node error classes and their code
/// tables are generated from the same table (`cargo xtask codegen`; CI
/// fails on drift), so no list of codes is kept by hand.
macro_rules! error_table {
    ($( $(#[$doc:meta])* $variant:ident = $number:literal, $code:literal, $class:ident, $http:literal, $description:literal; )*) => {
        /// Every failure has exactly one of these codes, the same on every surface.
        ///
        /// The string form ([`ErrorCode::as_str`]) and the number ([`ErrorCode::number`], used
        /// by the C ABI) are stable: a retired code keeps its number
        /// ([`ErrorCode::RETIRED_NUMBERS`]) and the number is never reused.
        ///
        /// ```
        /// use sipcreds::ErrorCode;
        /// assert_eq!(ErrorCode::InvalidServer.as_str(), "invalid_server");
        /// assert_eq!("in_use".parse::<ErrorCode>(), Ok(ErrorCode::InUse));
        /// assert_eq!(ErrorCode::ALL.len(), 26);
        /// assert_eq!(ErrorCode::InvalidServer.http_status(), 422);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u32)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant = $number, )*
        }

        impl ErrorCode {
            /// How many codes there are.
            pub const COUNT: usize = [$( $code ),*].len();

            /// All codes, in the order of §8.
            pub const ALL: [ErrorCode; Self::COUNT] = [ $( ErrorCode::$variant, )* ];

            /// The stable snake_case code.
            pub const fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            /// One line that says what the code means, for published code lists.
            pub const fn description(self) -> &'static str {
                match self { $( ErrorCode::$variant => $description, )* }
            }

            /// The class of the code: the exception class on Python and Node.
            pub const fn class(self) -> ErrorClass {
                match self { $( ErrorCode::$variant => ErrorClass::$class, )* }
            }

            /// The HTTP status the API answers with this code (`sipcreds serve`): from the
            /// table, so the status of a code is written once.
            pub const fn http_status(self) -> u16 {
                match self { $( ErrorCode::$variant => $http, )* }
            }

            /// The Rust name of the variant (`InvalidServer`), for generated code.
            pub const fn variant_name(self) -> &'static str {
                match self { $( ErrorCode::$variant => stringify!($variant), )* }
            }
        }
    };
}

error_table! {
    /// The body is not one JSON object, has a syntax error or a duplicate key.
    InvalidJson = 1, "invalid_json", Validation, 400, "the body is not one JSON object, or has a syntax error or a duplicate key";
    /// The body is larger than [`crate::MAX_BODY_BYTES`].
    TooLarge = 2, "too_large", Validation, 413, "the body is larger than 64 KiB";
    /// The body has a field the wire format does not know.
    UnknownField = 3, "unknown_field", Validation, 422, "the body has a field the wire format does not know";
    /// A required field is missing.
    MissingField = 4, "missing_field", Validation, 422, "a required field is missing";
    /// `name` is not 1–100 characters without control characters.
    InvalidName = 5, "invalid_name", Validation, 422, "name must be 1-100 characters without control characters";
    /// `server` is not `host` or `host:port`.
    InvalidServer = 6, "invalid_server", Validation, 422, "server must be host or host:port";
    /// `authUser` is not an RFC 3261 user part of 1–128 characters.
    InvalidAuthUser = 7, "invalid_auth_user", Validation, 422, "authUser must be 1-128 characters of an RFC 3261 user part";
    /// `authPassword` is not 1–256 characters without control characters.
    InvalidAuthPassword = 8, "invalid_auth_password", Validation, 422, "authPassword must be 1-256 characters without control characters";
    /// Only one of `authUser` and `authPassword` is present.
    IncompleteAuth = 9, "incomplete_auth", Validation, 422, "authUser and authPassword come together or not at all";
    /// `domain` is not a host without a port.
    InvalidDomain = 10, "invalid_domain", Validation, 422, "domain must be a host (DNS name, IPv4 or bracketed IPv6) without a port";
    /// `transport` is not `udp`, `tcp` or `tls`.
    InvalidTransport = 11, "invalid_transport", Validation, 422, "transport must be udp, tcp or tls";
    /// `cpsLimit` is not an integer in 1–10000.
    InvalidCpsLimit = 12, "invalid_cps_limit", Validation, 422, "cpsLimit must be an integer from 1 to 10000";
    /// `cpsKey` is not 1–64 characters of `[A-Za-z0-9._:-]`.
    InvalidCpsKey = 13, "invalid_cps_key", Validation, 422, "cpsKey must be 1-64 characters of A-Z a-z 0-9 . _ : -";
    /// An organization id is not 1–64 characters of `[A-Za-z0-9._-]`.
    InvalidOrg = 14, "invalid_org", Validation, 422, "org must be 1-64 characters of A-Z a-z 0-9 . _ -";
    /// A phone number is not E.164.
    InvalidPhoneNumber = 15, "invalid_phone_number", Validation, 422, "phone numbers must be E.164: +, first digit 1-9, 8-15 digits";
    /// `diagnose` does not know the symptom.
    InvalidSymptom = 16, "invalid_symptom", Validation, 422, "diagnose does not know this symptom";
    /// An option of an operation (not a field of a body) does not parse: a limiter URL, a
    /// wait, a page, a probe's timeout or CA file. `field` names the option.
    InvalidOption = 22, "invalid_option", Validation, 422, "an option of the operation (a limiter URL, a wait, a page, a timeout) does not parse";
    /// The object does not exist in this organization.
    NotFound = 17, "not_found", NotFound, 404, "no such object in this organization";
    /// The credential is managed by a provider.
    ReadOnly = 18, "read_only", ReadOnly, 409, "the credential is managed by a provider and cannot be changed here";
    /// The credential is linked to phone numbers (and so agents).
    InUse = 19, "in_use", InUse, 409, "the credential is linked to phone numbers; unlink them or force the delete";
    /// `expectedVersion` does not match the stored version.
    Conflict = 20, "conflict", Conflict, 409, "expectedVersion does not match the stored version";
    /// The storage backend failed.
    Storage = 21, "storage", Storage, 503, "the storage backend failed";
    /// The HTTP API got no token, or one it does not know (or that was revoked).
    Unauthorized = 23, "unauthorized", Access, 401, "the HTTP API got no token, or one it does not know or that was revoked";
    /// The token's role does not allow the request, or a cookie request came from another origin.
    Forbidden = 24, "forbidden", Access, 403, "the token's role does not allow this request (or a signed-in request came from another origin)";
    /// Too many requests: the token's rate, or a credential's probes; `retryAfterMs` says when to retry.
    TooManyRequests = 25, "too_many_requests", RateLimited, 429, "too many requests for the token (or probes of the credential); retry after retryAfterMs";
    /// Something unexpected failed in the server; it logged the details with the request id.
    /// (Its number is the C ABI's, where `SIPCREDS_INTERNAL` = 1001 meant the same before the
    /// code joined the table.)
    Internal = 1001, "internal", Internal, 500, "something unexpected failed (a bug); the server logged it with the request id";
}

/// The kinds of failure: one exception class per kind on Python and Node (each a subclass of
/// the base `Error`/`SipcredsError`), and in Python also of the matching builtin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Invalid input or option.
    Validation,
    /// `not_found`.
    NotFound,
    /// `read_only`.
    ReadOnly,
    /// `in_use`.
    InUse,
    /// `conflict`.
    Conflict,
    /// `storage`.
    Storage,
    /// `unauthorized`, `forbidden` (the HTTP API).
    Access,
    /// `too_many_requests` (the HTTP API).
    RateLimited,
    /// `internal` (the HTTP API).
    Internal,
}

impl ErrorClass {
    /// Every class, base-most first.
    pub const ALL: [ErrorClass; 9] = [
        ErrorClass::Validation,
        ErrorClass::NotFound,
        ErrorClass::ReadOnly,
        ErrorClass::InUse,
        ErrorClass::Conflict,
        ErrorClass::Storage,
        ErrorClass::Access,
        ErrorClass::RateLimited,
        ErrorClass::Internal,
    ];

    /// The class name on Python and Node (`ValidationError`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            ErrorClass::Validation => "ValidationError",
            ErrorClass::NotFound => "NotFoundError",
            ErrorClass::ReadOnly => "ReadOnlyError",
            ErrorClass::InUse => "InUseError",
            ErrorClass::Conflict => "ConflictError",
            ErrorClass::Storage => "StorageError",
            ErrorClass::Access => "AccessError",
            ErrorClass::RateLimited => "TooManyRequestsError",
            ErrorClass::Internal => "InternalError",
        }
    }

    /// The Python builtin the class also subclasses, if any (§9).
    pub const fn python_builtin(self) -> Option<&'static str> {
        match self {
            ErrorClass::Validation => Some("ValueError"),
            ErrorClass::NotFound => Some("LookupError"),
            ErrorClass::Access => Some("PermissionError"),
            _ => None,
        }
    }

    /// What the class means, for the generated docs.
    pub const fn doc(self) -> &'static str {
        match self {
            ErrorClass::Validation => {
                "Invalid input: a bad field value, unknown or missing field, malformed JSON, bad org, bad phone number, unknown symptom, or an option that does not parse. `code` says which."
            }
            ErrorClass::NotFound => {
                "No such object in this org (an object of another org is not found either)."
            }
            ErrorClass::ReadOnly => {
                "The credential belongs to a connected provider and cannot be changed here."
            }
            ErrorClass::InUse => {
                "The credential is in use; `usage` lists the numbers and agents that use it."
            }
            ErrorClass::Conflict => {
                "The update carried an `expectedVersion` that is not the current version; `expectedVersion` and `actualVersion` say both."
            }
            ErrorClass::Storage => "The store failed: the file, the key, or the database.",
            ErrorClass::Access => {
                "The HTTP API refused the request: no token or an unknown one (`unauthorized`), or one whose role or origin does not allow it (`forbidden`)."
            }
            ErrorClass::RateLimited => {
                "The HTTP API refused the request for now: too many for the token, or a probe of the same credential too soon; `retryAfterMs` says when to retry."
            }
            ErrorClass::Internal => {
                "Something unexpected failed in the server; the body has no detail, the server's log has it under the request id."
            }
        }
    }
}

impl ErrorCode {
    /// Numbers of retired codes: never given to a new code. (None is retired yet.) A new code
    /// takes the next number after the highest in use, below 1000, where the C ABI's own
    /// statuses begin.
    pub const RETIRED_NUMBERS: &'static [u32] = &[];

    /// The fixed number of the code (the C ABI's status value); never reused.
    pub const fn number(self) -> u32 {
        self as u32
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One entry of the published code list: `{"code", "number", "description"}`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ErrorInfo {
    /// The snake_case code.
    pub code: &'static str,
    /// Its C status number.
    pub number: u32,
    /// What it means.
    pub description: &'static str,
}

/// The published list of all error codes with their meaning, like pydantic-core's
/// `list_all_errors()`; the same list on every surface.
///
/// ```
/// let all = sipcreds::list_all_errors();
/// assert!(all.iter().any(|e| e.code == "incomplete_auth"));
/// ```
pub fn list_all_errors() -> Vec<ErrorInfo> {
    ErrorCode::ALL
        .iter()
        .map(|c| ErrorInfo {
            code: c.as_str(),
            number: c.number(),
            description: c.description(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_numbers_are_unique_and_round_trip() {
        let names: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let numbers: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.number()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        assert_eq!(numbers.len(), ErrorCode::ALL.len());
        assert!(!numbers.contains(&0), "0 is the C ABI's success value");
        assert!(
            ErrorCode::ALL
                .iter()
                .all(|c| c.number() < 1000 || *c == ErrorCode::Internal),
            "1000 up is the C ABI's own (`internal` kept the C ABI's 1001)"
        );
        for n in ErrorCode::RETIRED_NUMBERS {
            assert!(!numbers.contains(n), "retired number {n} reused");
        }
        for c in ErrorCode::ALL {
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(c));
        }
    }

    #[test]
    fn spec_codes_are_all_present() {
        let spec = "invalid_json too_large unknown_field missing_field invalid_name invalid_server \
            invalid_auth_user invalid_auth_password incomplete_auth invalid_domain invalid_transport \
            invalid_cps_limit invalid_cps_key invalid_org invalid_phone_number invalid_symptom \
            invalid_option not_found read_only in_use conflict storage unauthorized forbidden \
            too_many_requests internal";
        let ours: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(ours, spec.split_whitespace().collect::<Vec<_>>());
    }
}
