//! Shared proptest strategies for credential inputs.
#![allow(dead_code)]

use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// An LDH label. Labels that start with `xn--` are punycode (IDNA's A-labels) and must decode,
/// which a random label almost never does: the IDN cases are generated from real names below.
pub fn dns_label() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]([a-zA-Z0-9-]{0,20}[a-zA-Z0-9])?".prop_filter("not an A-label", |l| {
        !l.to_ascii_lowercase().starts_with("xn--")
    })
}

pub fn dns_name() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(dns_label(), 1..4),
        "[a-zA-Z][a-zA-Z0-9]{1,8}",
        any::<bool>(),
    )
        .prop_map(|(labels, tld, dot)| {
            format!("{}.{tld}{}", labels.join("."), if dot { "." } else { "" })
        })
}

pub fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => dns_name(),
        1 => any::<[u8; 4]>().prop_map(|o| format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3])),
        1 => any::<[u16; 8]>().prop_map(|g| format!("[{}]", std::net::Ipv6Addr::from(g).segments().iter().map(|s| format!("{s:X}")).collect::<Vec<_>>().join(":"))),
        1 => prop::sample::select(vec!["bücher.example", "münchen.de", "例え.jp", "ÉCOLE.fr", "xn--bcher-kva.example"]).prop_map(str::to_owned),
    ]
}

pub fn server() -> impl Strategy<Value = String> {
    (host(), prop::option::of(1u16..=65535)).prop_map(|(h, p)| match p {
        Some(p) => format!("{h}:{p}"),
        None => h,
    })
}

/// Passwords that cannot occur by chance inside other fields: a marker and random text.
pub fn password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 !#%&*+=?^_~]{6,40}".prop_map(|s| format!("Pw!{s}"))
}

pub fn auth_user() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~!*'()&=+$,;?/-]{1,40}"
}

pub fn cps_key() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._:-]{1,64}"
}

pub fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 é☎_-]{1,100}"
}

pub fn transport() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["udp", "tcp", "tls", "UDP", "Tls", "TCP"]).prop_map(str::to_owned)
}

/// A valid credential input as a JSON object; the password is returned too.
pub fn valid_input() -> impl Strategy<Value = (Value, Option<String>)> {
    (
        server(),
        prop::option::of(name()),
        prop::option::of((auth_user(), password())),
        prop::option::of(host().prop_filter("no port", |h| !h.contains("]:"))),
        prop::option::of(transport()),
        prop::option::of(1i64..=10000),
        prop::option::of(cps_key()),
    )
        .prop_map(|(server, name, auth, domain, transport, limit, key)| {
            let mut m = Map::new();
            m.insert("server".into(), json!(server));
            if let Some(n) = name {
                m.insert("name".into(), json!(n));
            }
            let pw = auth.as_ref().map(|(_, p)| p.clone());
            if let Some((u, p)) = auth {
                m.insert("authUser".into(), json!(u));
                m.insert("authPassword".into(), json!(p));
            }
            if let Some(d) = domain {
                m.insert("domain".into(), json!(d));
            }
            if let Some(t) = transport {
                m.insert("transport".into(), json!(t));
            }
            if let Some(l) = limit {
                m.insert("cpsLimit".into(), json!(l));
            }
            if let Some(k) = key {
                m.insert("cpsKey".into(), json!(k));
            }
            (Value::Object(m), pw)
        })
}

/// Any JSON value, nested a few levels.
pub fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,30}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(vec![
                        "server",
                        "name",
                        "authUser",
                        "authPassword",
                        "domain",
                        "transport",
                        "cpsLimit",
                        "cpsKey",
                        "expectedVersion"
                    ])
                    .prop_map(str::to_owned),
                    "[a-zA-Z]{1,10}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
