use super::*;

fn read_new(body: &str) -> Result<RawObject<'_>, Error> {
    let mut obj = RawObject::default();
    read_object(body, &mut obj).map(|()| obj)
}

/// Every escape form of every string reads back as serde_json reads it.
fn escape_all(s: &str) -> String {
    s.encode_utf16().map(|u| format!("\\u{u:04X}")).collect()
}

proptest::proptest! {
    #[test]
    fn password_unescaping_agrees_with_serde_json(s in "\\PC*|[\"\\\\/\u{1F600}é\u{8}\u{c}\n\r\t a]{0,12}") {
        for lit in [serde_json::to_string(&s).unwrap(), format!("\"{}\"", escape_all(&s))] {
            let body = format!(r#"{{"authPassword":{lit}}}"#);
            let mut obj = read_new(&body).unwrap();
            let Some(Raw::Str(got)) = obj.take(AUTH_PASSWORD) else { panic!("not a string") };
            proptest::prop_assert_eq!(got.as_ref(), s.as_str());
        }
    }
}

#[test]
fn password_values_of_other_types_and_lone_surrogates() {
    let mut obj = read_new(r#"{"authPassword":12}"#).unwrap();
    assert_eq!(obj.take(AUTH_PASSWORD), Some(Raw::Int(12)));
    let mut obj = read_new(r#"{"authPassword":["x\"y"]}"#).unwrap();
    assert_eq!(obj.take(AUTH_PASSWORD), Some(Raw::Array));
    // serde_json refuses a lone surrogate; so does the password path.
    assert_eq!(
        code(r#"{"authPassword":"\uD800"}"#),
        Some(ErrorCode::InvalidJson)
    );
    assert_eq!(
        code(r#"{"authPassword":"\uDC00x"}"#),
        Some(ErrorCode::InvalidJson)
    );
    assert_eq!(
        code(r#"{"authPassword":"\uD800\u0041"}"#),
        Some(ErrorCode::InvalidJson)
    );
    assert_eq!(code(r#"{"authPassword":"a\"#), Some(ErrorCode::InvalidJson));
}

fn code(body: &str) -> Option<ErrorCode> {
    read_new(body).err().map(|e| e.code())
}

#[test]
fn rejects_non_objects_and_bad_syntax() {
    for bad in [
        "",
        "   ",
        "[]",
        "\"x\"",
        "1",
        "null",
        "{",
        "{}{}",
        "{} x",
        "{\"a\":}",
        "{'a':1}",
        "{\"server\":\"\\ud800\"}",
    ] {
        assert_eq!(code(bad), Some(ErrorCode::InvalidJson), "{bad:?}");
    }
    assert_eq!(code(" {} "), None);
}

#[test]
fn duplicate_keys_known_and_unknown() {
    assert_eq!(
        code(r#"{"server":"a","server":"b"}"#),
        Some(ErrorCode::InvalidJson)
    );
    assert_eq!(code(r#"{"x":1,"x":2}"#), Some(ErrorCode::InvalidJson));
    assert_eq!(
        code(r#"{"server":"a","serv\u0065r":"b"}"#),
        Some(ErrorCode::InvalidJson)
    );
}

#[test]
fn deep_nesting_is_read_without_recursion() {
    // Nested values are skipped, not built: no stack overflow, and the field parser then
    // reports the wrong type with the field's own code.
    let deep = format!("{{\"name\":{}{}}}", "[".repeat(30_000), "]".repeat(30_000));
    let mut obj = read_new(&deep).unwrap();
    assert_eq!(obj.take(NAME), Some(Raw::Array));
    let unbalanced = format!("{{\"x\":{}", "[".repeat(100_000));
    assert_eq!(code(&unbalanced), Some(ErrorCode::TooLarge));
    let unbalanced = format!("{{\"x\":{}", "[{\"a\":".repeat(5_000));
    assert_eq!(code(&unbalanced), Some(ErrorCode::InvalidJson));
}

#[test]
fn size_bound() {
    let pad = " ".repeat(MAX_BODY_BYTES);
    assert_eq!(code(&format!("{{}}{pad}")), Some(ErrorCode::TooLarge));
    let exact = format!("{{}}{}", " ".repeat(MAX_BODY_BYTES - 2));
    assert_eq!(code(&exact), None);
}
