use super::*;

#[test]
fn lengths_are_counted_in_characters_at_the_limit() {
    assert_eq!(chars_past(&"a".repeat(100), 100), None);
    assert_eq!(chars_past(&"a".repeat(101), 100), Some(101));
    // 100 characters of two bytes each: past the limit in bytes, not in characters.
    assert_eq!(chars_past(&"é".repeat(100), 100), None);
    assert_eq!(chars_past(&"é".repeat(101), 100), Some(101));
    assert!(Name::parse(&"é".repeat(100)).is_ok());
    assert!(Name::parse(&"é".repeat(101)).is_err());
}

#[test]
fn auth_user_rules() {
    for ok in ["a", "A-z_0.9!~*'()", "&=+$,;?/", "%41%4a", &"u".repeat(128)] {
        assert!(AuthUser::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "",
        "a b",
        "a@b",
        "%4",
        "%zz",
        "a:b",
        "ü",
        "a\"b",
        "a<b",
        &"u".repeat(129),
        "a\0",
    ] {
        assert!(AuthUser::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn password_rules_and_secrecy() {
    assert!(Password::parse(&"p".repeat(256)).is_ok());
    assert!(Password::parse(&"ü".repeat(256)).is_ok());
    assert!(Password::parse(&"p".repeat(257)).is_err());
    assert!(Password::parse("").is_err());
    let err = Password::parse("hunter2\n").unwrap_err();
    assert!(!err.to_string().contains("hunter2"));
    assert!(!format!("{err:?}").contains("hunter2"));
    let p = Password::parse("with spaces ok").unwrap();
    assert!(!format!("{p:?}{p}").contains("spaces"));
}

#[test]
fn phone_numbers() {
    for ok in ["+14155550100", "+12345678", "+123456789012345"] {
        assert!(PhoneNumber::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "+1234567",
        "+1234567890123456",
        "+04155550100",
        "4155550100",
        "+1415555010a",
        "",
        "+",
        "++14155550100",
    ] {
        assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn ids() {
    let id = CredentialId::generate();
    let lower = id
        .as_str()
        .replace(&id.as_str()[5..], &id.as_str()[5..].to_lowercase());
    assert_eq!(CredentialId::parse(&lower, "id").unwrap(), id);
    assert!(CredentialId::parse("cred_", "id").is_err());
    assert!(CredentialId::parse("prov_01JD0000000000000000000000", "id").is_err());
    assert!(
        CredentialId::parse("cred_81JD0000000000000000000000", "id").is_err(),
        "ULID overflow"
    );
    let ids: Vec<_> = (0..1000).map(|_| AgentId::generate()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids sort by creation");
}
