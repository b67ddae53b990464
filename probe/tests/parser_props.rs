//! Property tests of the response parser: a response built from random parts (status, reason,
//! Via branch/received/rport, challenges in one or two headers, long or compact header names,
//! any letter case, CRLF or LF) parses back to those parts, and framing finds its end.

use proptest::prelude::*;
use sipcreds_probe::message::{frame, parse_response};

fn name(long: &'static str, compact: Option<&'static str>) -> impl Strategy<Value = String> {
    let forms: Vec<String> = std::iter::once(long.to_owned())
        .chain(std::iter::once(long.to_ascii_lowercase()))
        .chain(std::iter::once(long.to_ascii_uppercase()))
        .chain(compact.map(str::to_owned))
        .collect();
    proptest::sample::select(forms)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn built_responses_parse_back(
        status in 100u16..700,
        reason in "[A-Za-z][A-Za-z0-9 ]{0,40}[A-Za-z0-9]",
        branch in "z9hG4bK[a-f0-9]{6,20}",
        received in proptest::option::of((1u8..255, 0u8..255, 0u8..255, 1u8..255)),
        rport in proptest::option::of(1u16..65535),
        realm in "[a-z][a-z0-9.-]{0,30}[a-z0-9]",
        algorithms in proptest::collection::vec(prop_oneof![Just("MD5"), Just("SHA-256"), Just("SHA-512-256-sess")], 0..3),
        one_header in any::<bool>(),
        retry_after in proptest::option::of(0u32..100_000),
        via_name in name("Via", Some("v")),
        len_name in name("Content-Length", Some("l")),
        crlf in any::<bool>(),
        body in "[a-z]{0,20}",
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut via = format!("{via_name}: SIP/2.0/UDP 10.1.2.3:5060;branch={branch}");
        if let Some(p) = rport { via.push_str(&format!(";rport={p}")); }
        if let Some((a, b, c, d)) = received { via.push_str(&format!(";received={a}.{b}.{c}.{d}")); }
        let mut msg = format!("SIP/2.0 {status} {reason}{nl}{via}{nl}CSeq: 7 REGISTER{nl}");
        let challenges: Vec<String> = algorithms.iter().enumerate()
            .map(|(i, a)| format!("Digest realm=\"{realm}\", nonce=\"n{i}\", algorithm={a}, qop=\"auth\""))
            .collect();
        if !challenges.is_empty() {
            if one_header {
                msg.push_str(&format!("WWW-Authenticate: {}{nl}", challenges.join(", ")));
            } else {
                for c in &challenges {
                    msg.push_str(&format!("WWW-Authenticate: {c}{nl}"));
                }
            }
        }
        if let Some(s) = retry_after { msg.push_str(&format!("Retry-After: {s}{nl}")); }
        msg.push_str(&format!("{len_name}: {}{nl}{nl}{body}", body.len()));

        let r = parse_response(msg.as_bytes()).unwrap();
        prop_assert_eq!(r.status, status);
        prop_assert_eq!(r.reason.as_deref(), Some(reason.as_str()));
        prop_assert_eq!(r.branch.as_deref(), Some(branch.as_str()));
        prop_assert_eq!(r.rport, rport);
        prop_assert_eq!(r.received.clone(), received.map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")));
        prop_assert_eq!(r.cseq.clone(), Some((7, "REGISTER".to_owned())));
        prop_assert_eq!(r.retry_after, retry_after);
        prop_assert_eq!(r.challenges.len(), algorithms.len());
        for (c, a) in r.challenges.iter().zip(&algorithms) {
            prop_assert_eq!(&c.realm, &realm);
            prop_assert_eq!(c.algorithm.as_str(), *a);
            prop_assert_eq!(c.qop.clone(), vec!["auth".to_owned()]);
        }
        prop_assert_eq!(frame(msg.as_bytes()).unwrap(), Some(msg.len()));
        // Cut anywhere before the end: not yet a message.
        let cut = msg.len() / 2;
        prop_assert!(frame(&msg.as_bytes()[..cut]).unwrap_or(None).is_none_or(|n| n > cut));
    }
}
