//! The credential: its validated input, the patch of an update, and the stored record with
//! the output form of §3.

mod fields;
mod input;
mod patch;
mod stored;

pub use fields::Change;
pub use input::{Auth, CredentialInput, NormalizedFields, read_input_list, read_inputs};
pub use patch::{CredentialPatch, undecodable_field, wipe_value};
pub use stored::{Credential, CredentialView, Source, Timestamp, timestamp};
pub(crate) use stored::{serialize_optional_timestamp, serialize_timestamp};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn err(body: &str) -> (ErrorCode, Option<String>) {
        let e = CredentialInput::from_json(body).unwrap_err();
        (e.code(), e.field().map(str::to_owned))
    }

    #[test]
    fn unknown_field_names_are_escaped_and_capped() {
        // An import line whose key forges a log line and sets the terminal title.
        let body = r#"{"server":"a.b","x\u001b]0;pwned\u0007\r\nINFO login ok\u202e":1}"#;
        let e = CredentialInput::from_json(body).unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnknownField);
        let field = e.field().unwrap();
        assert_eq!(
            field,
            "x\\u001b]0;pwned\\u0007\\u000d\\u000aINFO login ok\\u202e"
        );
        for shown in [field.to_owned(), e.to_string(), e.to_json().to_string()] {
            assert!(
                !shown.chars().any(crate::text::terminal_unsafe),
                "{shown:?}"
            );
        }
        let long = format!(r#"{{"server":"a.b","{}":1}}"#, "k\\u0085".repeat(200));
        let e = CredentialInput::from_json(&long).unwrap_err();
        let field = e.field().unwrap();
        assert!(field.chars().count() <= 64, "{field}");
        assert!(
            field.ends_with('…') && field.starts_with("k\\u0085k"),
            "{field}"
        );
        assert!(e.to_string().chars().count() < 400);
    }

    #[test]
    fn field_errors_and_order() {
        assert_eq!(err("{}"), (ErrorCode::MissingField, Some("server".into())));
        assert_eq!(
            err(r#"{"server":"a.b","x":1}"#),
            (ErrorCode::UnknownField, Some("x".into()))
        );
        assert_eq!(
            err(r#"{"server":"a.b","expectedVersion":1}"#).0,
            ErrorCode::UnknownField
        );
        assert_eq!(
            err(r#"{"server":"a.b","authUser":"u"}"#),
            (ErrorCode::IncompleteAuth, Some("authPassword".into()))
        );
        assert_eq!(
            err(r#"{"server":"a.b","authPassword":"p"}"#),
            (ErrorCode::IncompleteAuth, Some("authUser".into()))
        );
        assert_eq!(
            err(r#"{"server":"a.b","cpsLimit":1.0}"#).0,
            ErrorCode::InvalidCpsLimit
        );
        assert_eq!(
            err(r#"{"server":"a.b","cpsLimit":"5"}"#).0,
            ErrorCode::InvalidCpsLimit
        );
        assert_eq!(
            err(r#"{"server":"a.b","cpsLimit":true}"#).0,
            ErrorCode::InvalidCpsLimit
        );
        assert_eq!(
            err(r#"{"server":"a.b","cpsLimit":18446744073709551616}"#).0,
            ErrorCode::InvalidCpsLimit
        );
        assert_eq!(err(r#"{"server":null}"#).0, ErrorCode::InvalidServer);
        assert_eq!(
            err(r#"{"server":"a.b","transport":null}"#).0,
            ErrorCode::InvalidTransport
        );
        assert_eq!(err(r#"{"server":5060}"#).0, ErrorCode::InvalidServer);
    }

    #[test]
    fn patch_merge_keeps_the_auth_pair() {
        let cred =
            CredentialInput::from_json(r#"{"server":"a.b","authUser":"u","authPassword":"p"}"#)
                .unwrap();
        let rotate = CredentialPatch::from_json(r#"{"authPassword":"q"}"#).unwrap();
        assert_eq!(cred.apply(rotate).unwrap().expose_password(), Some("q"));
        let half = CredentialPatch::from_json(r#"{"authUser":null}"#).unwrap();
        let e = cred.apply(half).unwrap_err();
        assert_eq!(
            (e.code(), e.field()),
            (ErrorCode::IncompleteAuth, Some("authUser"))
        );
        let both = CredentialPatch::from_json(r#"{"authUser":null,"authPassword":null}"#).unwrap();
        assert!(cred.apply(both).unwrap().auth.is_none());
        assert_eq!(
            CredentialPatch::from_json(r#"{"server":null}"#)
                .unwrap_err()
                .code(),
            ErrorCode::InvalidServer
        );
    }
}
