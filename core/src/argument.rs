//! A binding's argument that is not text: the one rule of which code it answers.

use crate::error::{Error, ErrorCode};

/// Why an argument of a binding's call is not usable text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotText<'a> {
    /// A value of another type: its name in the host language (`int`, `number`, ...).
    Type(&'a str),
    /// Text the binding could not read as Unicode (a lone surrogate, bytes that are not
    /// UTF-8): the host's own words for what is wrong and how to fix it.
    Undecodable(&'a str),
}

/// The error of a binding's argument that is not text, by the argument's name as the
/// surface spells it (`credentialId` or `credential_id`). Each argument answers its own code,
/// as the contract has every value do: an id `not_found` (no object has it), an org
/// `invalid_org`, a phone number `invalid_phone_number`, a name or kind `invalid_name`, a
/// symptom or reason `invalid_symptom`, a body or patch `invalid_json`, a store path
/// `storage`, and anything else (an option, a page cursor, a role, a limiter) `invalid_option`.
///
/// ```
/// use sipcreds::{ErrorCode, NotText, argument_error};
/// let e = argument_error("org", NotText::Type("int"));
/// assert_eq!((e.code(), e.field()), (ErrorCode::InvalidOrg, Some("org")));
/// assert_eq!(e.to_string(), "org must be a string, not int");
/// let e = argument_error("agent_id", NotText::Undecodable("it is not UTF-8"));
/// assert_eq!((e.code(), e.field()), (ErrorCode::NotFound, Some("agent_id")));
/// ```
pub fn argument_error(argument: &str, problem: NotText<'_>) -> Error {
    let id = |what: &'static str, field: &'static str| Error::NotFound {
        what,
        field,
        id: match problem {
            NotText::Type(t) => format!("(not a string: {t})"),
            NotText::Undecodable(_) => "(not valid text)".into(),
        },
    };
    let message = match problem {
        NotText::Type(t) => format!("{argument} must be a string, not {t}"),
        NotText::Undecodable(why) => format!("{argument} is not valid text: {why}"),
    };
    let code = match argument {
        "id" => return id("object", "id"),
        "credentialId" => return id("credential", "credentialId"),
        "credential_id" => return id("credential", "credential_id"),
        "agentId" => return id("agent", "agentId"),
        "agent_id" => return id("agent", "agent_id"),
        "providerId" => return id("provider", "providerId"),
        "provider_id" => return id("provider", "provider_id"),
        "path" => return Error::storage(message),
        "org" => ErrorCode::InvalidOrg,
        "number" => ErrorCode::InvalidPhoneNumber,
        "name" | "kind" => ErrorCode::InvalidName,
        "symptom" | "reason" => ErrorCode::InvalidSymptom,
        "json" | "patch" | "credential" | "body" => ErrorCode::InvalidJson,
        _ => ErrorCode::InvalidOption,
    };
    Error::invalid(code, argument.to_owned(), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_argument_answers_its_own_code() {
        for (argument, code) in [
            ("id", ErrorCode::NotFound),
            ("credentialId", ErrorCode::NotFound),
            ("credential_id", ErrorCode::NotFound),
            ("agentId", ErrorCode::NotFound),
            ("providerId", ErrorCode::NotFound),
            ("org", ErrorCode::InvalidOrg),
            ("number", ErrorCode::InvalidPhoneNumber),
            ("name", ErrorCode::InvalidName),
            ("kind", ErrorCode::InvalidName),
            ("symptom", ErrorCode::InvalidSymptom),
            ("reason", ErrorCode::InvalidSymptom),
            ("json", ErrorCode::InvalidJson),
            ("patch", ErrorCode::InvalidJson),
            ("path", ErrorCode::Storage),
            ("role", ErrorCode::InvalidOption),
            ("after", ErrorCode::InvalidOption),
            ("limiter", ErrorCode::InvalidOption),
        ] {
            for problem in [NotText::Type("int"), NotText::Undecodable("bad bytes")] {
                let e = argument_error(argument, problem);
                assert_eq!(e.code(), code, "{argument}");
                if code != ErrorCode::Storage {
                    assert_eq!(e.field(), Some(argument));
                }
            }
        }
        let e = argument_error("credentialId", NotText::Type("number"));
        assert_eq!(
            e.to_string(),
            "credential \"(not a string: number)\" not found"
        );
    }
}
