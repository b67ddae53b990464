use super::*;

proptest::proptest! {
    /// What the fast paths accept, the full parsers accept the same way.
    #[test]
    fn the_fast_paths_agree_with_the_full_parsers(
        s in "([a-zA-Z0-9-]{0,5}[.]){0,4}[a-zA-Z0-9-]{0,6}[.]?(:[0-9]{0,6})?|[xX][nN]--[a-z0-9-]{0,8}[.][a-z]{1,3}|[a-zA-Z0-9.:@/;?#\\[\\] -]{0,12}|[a-z]{60,70}[.]com|([a-z0-9-]{1,3}[.]){0,3}[0-9]{1,4}[.]?(:[0-9]{1,5})?"
    ) {
        if let Some(fast) = ServerAddress::parse_plain(&s) {
            proptest::prop_assert_eq!(Ok(fast), ServerAddress::parse_full(&s), "{}", s);
        }
        if plain_dns_name(s.as_bytes()) {
            let full = Host::parse_inner(&s).map_err(|p| p.0);
            proptest::prop_assert_eq!(Ok(Host::Dns(s.to_ascii_lowercase())), full, "{}", s);
        }
    }
}

fn server(s: &str) -> Result<String, String> {
    s.parse::<ServerAddress>()
        .map(|a| a.to_string())
        .map_err(|e| e.to_string())
}

#[test]
fn accepts_and_normalizes() {
    assert_eq!(server("SIP.Example.com").unwrap(), "sip.example.com");
    assert_eq!(
        server("sip.example.com.:5060").unwrap(),
        "sip.example.com:5060"
    );
    assert_eq!(server("10.0.0.1:5080").unwrap(), "10.0.0.1:5080");
    assert_eq!(server("[2001:DB8::0001]").unwrap(), "[2001:db8::1]");
    assert_eq!(
        server("[::ffff:192.0.2.1]:5061").unwrap(),
        "[::ffff:192.0.2.1]:5061"
    );
    assert_eq!(server("münchen.example").unwrap(), "xn--mnchen-3ya.example");
    assert_eq!(server("localhost").unwrap(), "localhost");
}

#[test]
fn rejects() {
    for bad in [
        "",
        " sip.example.com",
        "sip.example.com ",
        "sip:example.com",
        "sips:example.com",
        "udp://example.com",
        "user@example.com",
        "example.com/path",
        "example.com;transport=tcp",
        "example.com?x=y",
        "2001:db8::1",
        "[2001:db8::1",
        "example.com:0",
        "example.com:65536",
        "example.com:",
        "example.com:50a",
        "example..com",
        ".example.com",
        "example.com..",
        "-a.example.com",
        "a-.example.com",
        "a_b.example.com",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "256.1.1.1",
        "[1.2.3.4]",
        "exa mple.com",
        "example.com\n",
        "[fe80::1%eth0]",
        "example.com:+5060",
        "example.com:-1",
    ] {
        assert!(server(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn scheme_message_suggests_the_fix() {
    let msg = server("sip:trunk.example.com").unwrap_err();
    assert!(msg.contains("remove the \"sip:\" scheme"), "{msg}");
    assert!(msg.contains("→ \"trunk.example.com\""), "{msg}");
    let msg = server("sips:user@trunk.example.com:5061;transport=tls").unwrap_err();
    assert!(msg.contains("→ \"trunk.example.com:5061\""), "{msg}");
    let msg = server("2001:db8::1").unwrap_err();
    assert!(msg.contains("[2001:db8::1]"), "{msg}");
}

#[test]
fn userinfo_passwords_are_masked_in_every_message() {
    for (input, shown) in [
        (
            "sip:acme:PASSWORD@sip.example.com",
            "sip:acme:***@sip.example.com",
        ),
        ("acme:PASSWORD@host:5060", "acme:***@host:5060"),
        ("SIPS:acme:PASS@WORD@host", "SIPS:acme:***@host"),
        (
            "udp://acme:PA/SS?x@host;transport=udp",
            "udp://acme:***@host;transport=udp",
        ),
        ("acme:PA\u{1b}SS@host", "acme:***@host"),
        ("acme:PASS WORD@host", "acme:***@host"),
        ("sip:acme:PASS@host\n", "sip:acme:***@host"),
        (":PASSWORD@host", ":***@host"),
    ] {
        let msg = server(input).unwrap_err();
        assert!(!msg.contains("PA"), "{input:?} → {msg}");
        assert!(!msg.contains("WORD"), "{input:?} → {msg}");
        assert!(msg.contains(shown), "{input:?} → {msg}");
        let domain = input.parse::<Domain>().unwrap_err().to_string();
        assert!(
            !domain.contains("PA") && !domain.contains("WORD"),
            "{domain}"
        );
    }
    // In another field too (a SIP URI pasted into authUser).
    let e = crate::CredentialInput::from_json(
        r#"{"server":"a.b","authUser":"acme:PASSWORD@sip.example.com","authPassword":"x"}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(!e.contains("PASSWORD") && e.contains("acme:***@"), "{e}");
    // A user without a password is quoted as it is, so the message still helps.
    let msg = server("acme@sip.example.com").unwrap_err();
    assert!(msg.contains("\"acme@\""), "{msg}");
}

#[test]
fn label_and_name_lengths() {
    let label63 = "a".repeat(63);
    assert!(server(&format!("{label63}.com")).is_ok());
    assert!(server(&format!("{}a.com", label63)).is_err());
    let name253 = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(61));
    assert_eq!(name253.len(), 253);
    assert!(server(&name253).is_ok());
    assert!(server(&format!("{name253}.")).is_ok());
    assert!(server(&format!("a{name253}")).is_err());
}
