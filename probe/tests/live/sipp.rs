//! SIPp UAS scenarios: silence, 405 to OPTIONS, a challenge repeated after the authenticated
//! retry, 403 "User channel limit exceeded". Each probe request has its own Call-ID, so each
//! is a new SIPp call entering the scenario at the top: OPTIONS jumps to its own label.

use std::time::Duration;

use sipcreds_probe::Outcome;

use crate::{check, input, opts, peers, run};

fn reply(status: &str, extra: &str) -> String {
    format!(
        r#"<send><![CDATA[
SIP/2.0 {status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag[call_number]
[last_Call-ID:]
[last_CSeq:]
Server: sipp-uas
{extra}Content-Length: 0

]]></send>"#
    )
}

/// OPTIONS answered `options` (silence when `None`); REGISTER answered by `register` (one
/// reply per REGISTER of the same call).
fn scenario(options: Option<&str>, register: &[String]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n<scenario name=\"probe-uas\">\n",
    );
    let Some(options) = options else {
        // Silence: read the OPTIONS, answer nothing, wait for what never comes.
        s.push_str("<recv request=\"OPTIONS\"/>\n<recv request=\"BYE\"/>\n</scenario>\n");
        return s;
    };
    s.push_str("<recv request=\"OPTIONS\" optional=\"true\" next=\"options\"/>\n");
    s.push_str("<recv request=\"REGISTER\"/>\n");
    for (i, r) in register.iter().enumerate() {
        if i > 0 {
            s.push_str("<recv request=\"REGISTER\"/>\n");
        }
        s.push_str(r);
        s.push('\n');
    }
    if register.is_empty() {
        s.push_str(&reply("405 Method Not Allowed", ""));
        s.push('\n');
    }
    s.push_str("<nop next=\"end\"/>\n<label id=\"options\"/>\n");
    s.push_str(&reply(options, ""));
    s.push_str("\n<label id=\"end\"/>\n<timewait milliseconds=\"50\"/>\n</scenario>\n");
    s
}

const CHALLENGE: &str = "WWW-Authenticate: Digest realm=\"sip.test\", nonce=\"abc123nonce\", algorithm=MD5, qop=\"auth\"\n";

#[tokio::test(flavor = "multi_thread")]
async fn silence_is_a_timeout_within_the_budget() {
    let Some(p) = peers::sipp(&scenario(None, &[])) else {
        return;
    };
    for budget in [0.3, 1.0] {
        let r = run(
            &input(&format!(r#"{{"server": "127.0.0.1:{}"}}"#, p.port)),
            &opts(budget),
        )
        .await;
        check(&r, None);
        assert_eq!(r.outcome, Outcome::Timeout, "{r:#?}");
        assert_eq!(r.symptom.as_deref(), Some("timeout"));
        let want = budget * 1000.0;
        assert!(
            (r.elapsed_ms - want).abs() <= 50.0,
            "budget {want} ms, took {} ms",
            r.elapsed_ms
        );
        // Timer A: sent at 0 and 500 ms within 1 s (the next would be at 1.5 s).
        let expected = if budget < 0.5 { 1 } else { 2 };
        assert_eq!(r.requests_sent, expected, "{r:#?}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(p.received("OPTIONS"), 3, "{}", p.peer.log_text());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_405_to_options_is_still_reachable() {
    let Some(p) = peers::sipp(&scenario(Some("405 Method Not Allowed"), &[])) else {
        return;
    };
    let r = run(
        &input(&format!(r#"{{"server": "127.0.0.1:{}"}}"#, p.port)),
        &opts(2.0),
    )
    .await;
    check(&r, None);
    assert_eq!(r.outcome, Outcome::Reachable, "{r:#?}");
    assert_eq!(r.status, Some(405));
    assert_eq!(r.server_header.as_deref(), Some("sipp-uas"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_challenge_repeated_after_the_retry_is_auth_rejected_with_one_retry() {
    let register = vec![
        reply("401 Unauthorized", CHALLENGE),
        reply("401 Unauthorized", CHALLENGE),
    ];
    let Some(p) = peers::sipp(&scenario(Some("200 OK"), &register)) else {
        return;
    };
    let r = run(
        &input(&format!(
            r#"{{"server": "127.0.0.1:{}", "domain": "sip.test", "authUser": "bob", "authPassword": "pw-sipp"}}"#,
            p.port
        )),
        &opts(3.0),
    )
    .await;
    check(&r, Some("pw-sipp"));
    assert_eq!(r.outcome, Outcome::AuthRejected, "{r:#?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        p.received("REGISTER"),
        2,
        "one REGISTER and exactly one authenticated retry:\n{}",
        std::fs::read_to_string(&p.messages).unwrap_or_default()
    );
    assert_eq!(r.requests_sent, 3);
    let log = std::fs::read_to_string(&p.messages).unwrap_or_default();
    assert!(!log.contains("pw-sipp"), "the password went on the wire");
    assert!(!log.contains("INVITE sip:"), "an INVITE was sent");
    // The retry keeps the Call-ID and adds 1 to the CSeq; the Request-URI is the realm's.
    let registers: Vec<&str> = log.split("REGISTER sip:").skip(1).collect();
    assert_eq!(registers.len(), 2);
    let header = |msg: &str, name: &str| {
        msg.lines()
            .find(|l| {
                l.to_ascii_lowercase()
                    .starts_with(&format!("{}:", name.to_ascii_lowercase()))
            })
            .map(|l| l.split_once(':').unwrap().1.trim().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(
        header(registers[0], "Call-ID"),
        header(registers[1], "Call-ID")
    );
    assert_eq!(header(registers[0], "CSeq"), "1 REGISTER");
    assert_eq!(header(registers[1], "CSeq"), "2 REGISTER");
    assert!(
        registers[1].starts_with("sip.test SIP/2.0"),
        "{}",
        registers[1]
    );
    assert!(header(registers[1], "Authorization").contains("uri=\"sip:sip.test\""));
    assert!(header(registers[0], "Via").contains(";branch=z9hG4bK"));
    assert!(header(registers[0], "Via").contains(";rport"));
    assert_ne!(
        header(registers[0], "Via"),
        header(registers[1], "Via"),
        "a new branch"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_nonce_gets_one_more_retry_and_a_407_is_answered_with_proxy_authorization() {
    let stale = "WWW-Authenticate: Digest realm=\"sip.test\", nonce=\"fresh\", algorithm=MD5, qop=\"auth\", stale=true\n";
    let register = vec![
        reply("401 Unauthorized", CHALLENGE),
        reply("401 Unauthorized", stale),
        reply("200 OK", ""),
    ];
    let Some(p) = peers::sipp(&scenario(Some("200 OK"), &register)) else {
        return;
    };
    let body = format!(
        r#"{{"server": "127.0.0.1:{}", "domain": "sip.test", "authUser": "bob", "authPassword": "pw-sipp"}}"#,
        p.port
    );
    let r = run(&input(&body), &opts(3.0)).await;
    check(&r, Some("pw-sipp"));
    assert_eq!(r.outcome, Outcome::Ok, "{r:#?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        p.received("REGISTER"),
        3,
        "stale=true: one more retry, no more"
    );

    let proxy = "Proxy-Authenticate: Digest realm=\"sip.test\", nonce=\"p1\", algorithm=MD5\n";
    let register = vec![
        reply("407 Proxy Authentication Required", proxy),
        reply("200 OK", ""),
    ];
    let Some(p) = peers::sipp(&scenario(Some("200 OK"), &register)) else {
        return;
    };
    let body = format!(
        r#"{{"server": "127.0.0.1:{}", "domain": "sip.test", "authUser": "bob", "authPassword": "pw-sipp"}}"#,
        p.port
    );
    let r = run(&input(&body), &opts(3.0)).await;
    assert_eq!(r.outcome, Outcome::Ok, "{r:#?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = std::fs::read_to_string(&p.messages).unwrap_or_default();
    assert!(
        log.contains("Proxy-Authorization: Digest username=\"bob\""),
        "{log}"
    );
    // RFC 2069 digest (no qop): no cnonce, no nc.
    assert!(!log.contains("nc=00000001"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_403_user_channel_limit_exceeded_is_rate_limited() {
    let register = vec![reply("403 User channel limit exceeded", "")];
    let Some(p) = peers::sipp(&scenario(Some("200 OK"), &register)) else {
        return;
    };
    let r = run(
        &input(&format!(
            r#"{{"server": "127.0.0.1:{}", "authUser": "bob", "authPassword": "pw-sipp"}}"#,
            p.port
        )),
        &opts(3.0),
    )
    .await;
    check(&r, Some("pw-sipp"));
    assert_eq!(r.outcome, Outcome::RateLimited, "{r:#?}");
    assert_eq!(r.symptom.as_deref(), Some("403"));
    assert_eq!(r.causes[0].code, "channel_limit_exceeded", "{r:#?}");
}
