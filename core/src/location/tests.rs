use super::*;

#[test]
fn locations_hide_every_spelling_of_a_password() {
    for (input, shown) in [
        ("postgres://app:pa/ss@host/db", "postgres://app:***@host/db"),
        ("postgres://app:pa?ss@host/db", "postgres://app:***@host/db"),
        ("postgres://app:p@ss@host/db", "postgres://app:***@host/db"),
        ("POSTGRES://app:PASS@host/db", "POSTGRES://app:***@host/db"),
        ("Redis://:PASS@host:6379", "Redis://:***@host:6379"),
        ("rediss://user:PASS#x@host", "rediss://user:***@host"),
        (
            "postgres://host/db?password=PASS",
            "postgres://host/db?password=***",
        ),
        (
            "postgres://host/db?user=u&PassWord=PASS&x=1",
            "postgres://host/db?user=u&PassWord=***&x=1",
        ),
        (
            "postgres://host/db?pass%77ord=PASS",
            "postgres://host/db?pass%77ord=***",
        ),
        (
            "postgres://host/db?sslpassword=PASS",
            "postgres://host/db?sslpassword=***",
        ),
        (
            "postgres://host/db?password=PA SS;x&y=1",
            "postgres://host/db?password=***&y=1",
        ),
        (
            "host=db password=PASS dbname=x",
            "host=db password=*** dbname=x",
        ),
        (
            "host=db password = 'PA SS\\' x' dbname=x",
            "host=db password = *** dbname=x",
        ),
        ("password=PA\\ SS host=h", "password=*** host=h"),
        ("host=h password='PASS", "host=h password=***"),
        (
            "host=h sslrootcert=/x password=PASS",
            "host=h sslrootcert=/x password=***",
        ),
    ] {
        let out = redact_location(input);
        assert_eq!(out, shown, "{input}");
        assert!(
            !out.contains("PASS") && !out.contains("SS") && !out.contains("pa/ss"),
            "{out}"
        );
    }
    for same in [
        "data/x.db",
        "postgres://u@h/db",
        "redis://h:6379/0?fallback=local:2",
        "./a@b.db",
        "host=h dbname=d",
    ] {
        assert_eq!(redact_location(same), same);
    }
}

#[test]
fn conninfo_strings_are_told_and_parsed_as_libpq_does() {
    let c = Conninfo::parse("host = db  password='a \\'b\\\\' dbname=x\\ y port=5432").unwrap();
    assert_eq!(c.get("host"), Some("db"));
    assert_eq!(c.get("password"), Some("a 'b\\"));
    assert_eq!(c.get("dbname"), Some("x y"));
    assert_eq!(c.get("port"), Some("5432"));
    assert_eq!(Conninfo::parse(&c.to_conninfo_string()).unwrap(), c);
    assert!(!format!("{c:?}").contains("a 'b"));
    for (bad, says) in [
        ("host=h pasword=x", "unknown keyword \"pasword\""),
        ("host=h password='x", "no closing quote"),
        ("host=h junk", "\"junk\""),
        ("   ", "empty"),
    ] {
        let e = Conninfo::parse(bad).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidOption);
        assert_eq!(e.field(), Some("path"));
        assert!(e.to_string().contains(says), "{bad}: {e}");
        assert!(!e.to_string().contains("'x"), "{e}");
    }
    assert!(is_conninfo("dbname=x"));
    assert!(is_conninfo("x.db\tsslrootcert=/ca.pem"));
    assert!(!is_conninfo("a=b.db"));
    assert!(!is_conninfo("data/host=x.db"));
}

#[test]
fn fragments_are_found_past_the_userinfo() {
    assert_eq!(
        location_fragment("rediss://h:1/?cafile=/x.pem#insecure"),
        Some("insecure")
    );
    assert_eq!(location_fragment("postgres://u:p#w@h/db"), None);
    assert_eq!(location_fragment("postgres://u:p#w@h/db#f"), Some("f"));
    assert_eq!(location_fragment("x#y.db"), None);
}

proptest::proptest! {
    // The url crate as the oracle: whatever password it reads from a URL, the redacted
    // form does not show it.
    #[test]
    fn no_parsed_password_survives_redaction(
        scheme in "(postgres|POSTGRES|redis|Redis|rediss|postgresql)",
        user in "[a-z]{0,6}",
        password in "[A-Za-z0-9/?#@:;&=%.~!$*+-]{4,20}",
        host in "[a-z]{1,8}",
        tail in "(/db)?(\\?sslmode=require)?",
    ) {
        let location = format!("{scheme}://{user}:{password}@{host}{tail}");
        let out = redact_location(&location);
        proptest::prop_assert!(!out.contains(&password), "{} → {}", location, out);
        if let Ok(parsed) = url::Url::parse(&location)
            && let Some(p) = parsed.password()
            && p.len() >= 4
        {
            proptest::prop_assert!(!out.contains(p), "{} → {}", location, out);
        }
    }

    // Our own parser as the oracle for libpq strings (the PostgreSQL store's tests hold
    // it to rust-postgres's): whatever password it reads, the redacted form hides.
    #[test]
    fn no_conninfo_password_survives_redaction(
        before in "(host=h |dbname='a b' |)",
        spaces in "( ?)= ?",
        password in "Q7[A-Za-z0-9 '\\\\=@:/?#&;]{2,16}",
        quoted in proptest::bool::ANY,
        after in "( user=u| sslrootcert=/ca\\.pem|)",
    ) {
        let value = Conninfo::value_text(&password, quoted);
        let location = format!("{before}password{spaces}{value}{after}");
        let parsed = Conninfo::parse(&location).unwrap();
        proptest::prop_assert_eq!(parsed.get("password"), Some(password.as_str()));
        let out = redact_location(&location);
        proptest::prop_assert!(!out.contains("Q7"), "{} → {}", location, out);
        proptest::prop_assert!(is_conninfo(&location));
    }
}
