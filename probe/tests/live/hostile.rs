//! The probe against servers that misbehave on purpose (SPEC §12, "against a broken or hostile
//! server"), over UDP, TCP and TLS where the rule applies: every rule is a bound, checked on
//! the probe's report, its wall time and what reached the peer.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use sipcreds::CredentialInput;
use sipcreds_probe::{Outcome, ProbeOptions, Report, probe_input};

use super::hostile_peers::{self as hp, Out, Req, Script, Seen, script};
use super::{peers, tls};

const PASSWORD: &str = "pw-hostile-7f3a";

/// A misbehaving peer of one transport and the options to reach it.
struct Peer {
    server: String,
    transport: &'static str,
    seen: Arc<Seen>,
    opts: ProbeOptions,
    _ca: Option<tls::Ca>,
}

async fn peer(transport: &'static str, script: Script, timeout_s: f64) -> Peer {
    let opts = ProbeOptions::default()
        .with_timeout(Duration::from_secs_f64(timeout_s))
        .unwrap();
    let (addr, seen, opts, ca) = match transport {
        "udp" => {
            let (a, s) = hp::udp(script).await;
            (a, s, opts, None)
        }
        "tcp" => {
            let (a, s) = hp::stream(script, None).await;
            (a, s, opts, None)
        }
        _ => {
            let ca = tls::ca("hostile");
            let leaf = tls::leaf(&ca, &["127.0.0.1"], false);
            let (a, s) = hp::stream(script, Some(tls::server_config(&leaf))).await;
            let opts = opts.with_ca_file(&ca.pem_file).unwrap();
            (a, s, opts, Some(ca))
        }
    };
    Peer {
        server: addr.to_string(),
        transport,
        seen,
        opts,
        _ca: ca,
    }
}

impl Peer {
    fn input(&self, auth: bool) -> CredentialInput {
        let auth = if auth {
            format!(r#", "authUser": "alice", "authPassword": "{PASSWORD}""#)
        } else {
            String::new()
        };
        CredentialInput::from_json(&format!(
            r#"{{"server": "{}", "transport": "{}"{auth}}}"#,
            self.server, self.transport
        ))
        .unwrap()
    }

    /// Probe it; the wall time is checked against the budget + 100 ms (SPEC §12).
    async fn probe(&self, auth: bool, opts: &ProbeOptions) -> Report {
        let began = Instant::now();
        let r = tokio::time::timeout(
            opts.timeout + Duration::from_secs(5),
            probe_input(Some("cred_hostile"), &self.input(auth), opts),
        )
        .await
        .expect("the probe ran 5 s past its budget");
        let wall = began.elapsed();
        let bound = opts.timeout + Duration::from_millis(100);
        assert!(
            wall <= bound,
            "{} probe took {wall:?}, over {bound:?}: {r:#?}",
            self.transport
        );
        assert!(r.elapsed_ms <= bound.as_secs_f64() * 1000.0, "{r:#?}");
        assert!(r.requests_sent <= sipcreds_probe::MAX_REQUESTS);
        let json = r.to_json_string();
        assert!(!json.contains(PASSWORD), "{json}");
        r
    }
}

fn no_register(o: &ProbeOptions) -> ProbeOptions {
    let mut o = o.clone();
    o.register = Some(false);
    o
}

#[tokio::test(flavor = "multi_thread")]
async fn no_stream_of_bytes_keeps_a_probe_past_its_budget() {
    let floods: Vec<(&str, &[&str], Script)> = vec![
        (
            "100 Trying without end",
            &["udp", "tcp", "tls"],
            script(|r| vec![Out::Flood(r.answer(100, "Trying", ""))]),
        ),
        (
            "CRLFs without end",
            &["udp", "tcp", "tls"],
            script(|_| vec![Out::Flood(b"\r\n".to_vec())]),
        ),
        (
            "header lines without end",
            &["tcp", "tls"],
            script(|_| {
                vec![
                    Out::Send(b"SIP/2.0 200 OK\r\n".to_vec()),
                    Out::Flood(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaa\r\n".to_vec()),
                ]
            }),
        ),
    ];
    for (what, transports, s) in floods {
        for t in transports {
            let p = peer(t, s.clone(), 1.0).await;
            let r = p.probe(false, &p.opts).await;
            assert!(
                matches!(r.outcome, Outcome::Timeout | Outcome::InvalidResponse),
                "{what} over {t}: {r:#?}"
            );
        }
    }
}

/// The request's answer with its Content-Length replaced and `body` after the head.
fn with_body(answer: Vec<u8>, content_length: usize, body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(answer).unwrap().replace(
        "Content-Length: 0\r\n\r\n",
        &format!("Content-Length: {content_length}\r\n\r\n"),
    );
    let mut out = text.into_bytes();
    out.extend_from_slice(body);
    out
}

fn spoofs(r: &Req) -> Vec<Out> {
    let (via, call_id, cseq) = (r.line("Via"), r.line("Call-ID"), r.line("CSeq"));
    let other_method = if r.method == "OPTIONS" {
        cseq.replace("OPTIONS", "REGISTER")
    } else {
        cseq.replace("REGISTER", "OPTIONS")
    };
    vec![
        // The right branch, another Call-ID.
        Out::Send(r.answer_with(200, "OK", &via, "Call-ID: spoofed@evil", &cseq, "")),
        // The right branch and Call-ID, another CSeq number, another CSeq method.
        Out::Send(r.answer_with(200, "OK", &via, &call_id, "CSeq: 9999 OPTIONS", "")),
        Out::Send(r.answer_with(200, "OK", &via, &call_id, &other_method, "")),
        // Two Vias.
        Out::Send(r.answer_with(
            200,
            "OK",
            &format!("{via}\r\nVia: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKevil"),
            &call_id,
            &cseq,
            "",
        )),
        // Two Vias in one header.
        Out::Send(r.answer_with(
            200,
            "OK",
            &format!("{via}, SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bKevil"),
            &call_id,
            &cseq,
            "",
        )),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn spoofed_and_malformed_answers_are_discarded() {
    for t in ["udp", "tcp", "tls"] {
        // Only spoofs: nothing is taken as the answer.
        let p = peer(t, script(spoofs), 1.0).await;
        let r = p.probe(false, &no_register(&p.opts)).await;
        assert_eq!(r.outcome, Outcome::Timeout, "{t}: {r:#?}");
        assert_eq!(r.status, None, "{t}: {r:#?}");
        // Spoofs, then the real answer: the probe kept waiting for it.
        let p = peer(
            t,
            script(|r| {
                let mut v = spoofs(r);
                v.push(Out::Send(r.answer(200, "OK", "")));
                v
            }),
            2.0,
        )
        .await;
        let r = p.probe(false, &no_register(&p.opts)).await;
        assert_eq!(r.outcome, Outcome::Reachable, "{t}: {r:#?}");
    }
    // A datagram shorter than its Content-Length (RFC 3261 §18.3), and a CRLF keep-alive:
    // discarded, and the real answer after them is taken.
    let p = peer(
        "udp",
        script(|r| {
            vec![
                Out::Send(with_body(r.answer(200, "OK", ""), 50, b"0123456789")),
                Out::Send(b"\r\n\r\n".to_vec()),
                Out::Send(b"\r\n".to_vec()),
                Out::Sleep(Duration::from_millis(20)),
                Out::Send(r.answer(200, "OK", "")),
            ]
        }),
        2.0,
    )
    .await;
    let r = p.probe(false, &no_register(&p.opts)).await;
    assert_eq!(r.outcome, Outcome::Reachable, "{r:#?}");
    // Alone, the short datagram is no answer.
    let p = peer(
        "udp",
        script(|r| vec![Out::Send(with_body(r.answer(200, "OK", ""), 50, b"0123"))]),
        1.0,
    )
    .await;
    let r = p.probe(false, &no_register(&p.opts)).await;
    assert_eq!(r.outcome, Outcome::Timeout, "{r:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn heads_and_bodies_past_their_limits_are_invalid_responses() {
    for t in ["tcp", "tls"] {
        let p = peer(
            t,
            script(|r| {
                let pad = "X-Pad: ".to_owned() + &"a".repeat(100) + "\r\n";
                vec![Out::Send(r.answer(200, "OK", &pad.repeat(200)))]
            }),
            2.0,
        )
        .await;
        let r = p.probe(false, &no_register(&p.opts)).await;
        assert_eq!(r.outcome, Outcome::InvalidResponse, "{t}: {r:#?}");
        let p = peer(
            t,
            script(|r| vec![Out::Send(with_body(r.answer(200, "OK", ""), 70_000, b""))]),
            2.0,
        )
        .await;
        let r = p.probe(false, &no_register(&p.opts)).await;
        assert_eq!(r.outcome, Outcome::InvalidResponse, "{t}: {r:#?}");
    }
}

/// A challenge on the first request of each method; `accept` says what the authenticated
/// one gets.
fn challenging(
    header: &'static str,
    accept: impl Fn(&Req, &str) -> Vec<Out> + Send + Sync + 'static,
) -> Script {
    script(move |r| match r.authorization() {
        None => vec![Out::Send(r.answer(401, "Unauthorized", header))],
        Some(auth) => accept(r, &auth),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn names_in_any_case_and_the_strongest_challenge() {
    let upper = "WWW-AUTHENTICATE: DIGEST REALM=\"127.0.0.1\", NONCE=\"4e6f6e63654142\", ALGORITHM=md5, QOP=\"AUTH\"\r\n";
    for t in ["udp", "tcp", "tls"] {
        let p = peer(
            t,
            challenging(upper, |r, _| vec![Out::Send(r.answer(200, "OK", ""))]),
            2.0,
        )
        .await;
        let r = p.probe(true, &p.opts).await;
        assert_eq!(r.outcome, Outcome::Ok, "{t}: {r:#?}");
        let auths = p.seen.authorizations.lock().unwrap().clone();
        assert_eq!(auths.len(), 2, "{auths:?}");
        assert!(auths.iter().all(|a| a.contains("response=")), "{auths:?}");
    }
    // Three challenges: the strongest supported is answered.
    let three = "WWW-Authenticate: Digest realm=\"127.0.0.1\", nonce=\"aa11\", algorithm=MD5, qop=\"auth\"\r\n\
                 WWW-Authenticate: Digest realm=\"127.0.0.1\", nonce=\"bb22\", algorithm=SHA-512-256, qop=\"auth\"\r\n\
                 WWW-Authenticate: Digest realm=\"127.0.0.1\", nonce=\"cc33\", algorithm=SHA-256, qop=\"auth\"\r\n";
    let p = peer(
        "udp",
        challenging(three, |r, _| vec![Out::Send(r.answer(200, "OK", ""))]),
        2.0,
    )
    .await;
    let r = p.probe(true, &no_register(&p.opts)).await;
    assert_eq!(r.outcome, Outcome::Ok, "{r:#?}");
    let auths = p.seen.authorizations.lock().unwrap().clone();
    assert!(auths[0].contains("algorithm=SHA-512-256"), "{auths:?}");
    // No supported algorithm (nor Basic): no Authorization at all.
    let unsupported = "WWW-Authenticate: Digest realm=\"127.0.0.1\", nonce=\"dd44\", algorithm=AKAv1-MD5\r\n\
                       WWW-Authenticate: Basic realm=\"127.0.0.1\"\r\n";
    let p = peer(
        "udp",
        challenging(unsupported, |r, _| vec![Out::Send(r.answer(200, "OK", ""))]),
        2.0,
    )
    .await;
    let r = p.probe(true, &p.opts).await;
    assert!(
        !r.outcome.is_success() || r.outcome == Outcome::Reachable,
        "{r:#?}"
    );
    assert_ne!(r.outcome, Outcome::Ok, "{r:#?}");
    assert!(p.seen.authorizations.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn ok_only_after_an_authenticated_2xx() {
    // REGISTER answered 2xx without a challenge: nothing was tested.
    let p = peer(
        "udp",
        script(|r| vec![Out::Send(r.answer(200, "OK", ""))]),
        2.0,
    )
    .await;
    let r = p.probe(true, &p.opts).await;
    assert_eq!(r.outcome, Outcome::Reachable, "{r:#?}");
    // An authenticated OPTIONS answered 2xx, REGISTER off: the credentials were accepted.
    let header = "WWW-Authenticate: Digest realm=\"127.0.0.1\", nonce=\"ee55\", qop=\"auth\"\r\n";
    let p = peer(
        "tcp",
        challenging(header, |r, _| vec![Out::Send(r.answer(200, "OK", ""))]),
        2.0,
    )
    .await;
    let r = p.probe(true, &no_register(&p.opts)).await;
    assert_eq!(r.outcome, Outcome::Ok, "{r:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_closed_before_an_answer_is_connection_closed() {
    for t in ["tcp", "tls"] {
        let p = peer(t, script(|_| vec![Out::Close]), 2.0).await;
        let r = p.probe(true, &p.opts).await;
        assert_eq!(r.outcome, Outcome::ConnectionClosed, "{t}: {r:#?}");
        assert_eq!(r.symptom.as_deref(), Some("connection_closed"));
        assert_eq!(r.causes[0].code, "ip_not_allowlisted", "{r:#?}");
        assert_eq!(p.seen.connections.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_text_is_escaped_and_capped() {
    let evil = format!(
        "OK \u{1b}[31mred\u{202e}evil\u{85}c1\u{2028}line\u{2066}iso{}",
        "z".repeat(400)
    );
    let e2 = evil.clone();
    let p = peer(
        "udp",
        script(move |r| {
            let server = format!("Server: {e2}\r\nWarning: 399 x \"{e2}\"\r\n");
            vec![Out::Send(r.answer(200, &e2, &server))]
        }),
        2.0,
    )
    .await;
    let r = p.probe(false, &no_register(&p.opts)).await;
    assert_eq!(r.outcome, Outcome::Reachable, "{r:#?}");
    for text in [r.reason.as_deref(), r.server_header.as_deref()] {
        let text = text.expect("the text is reported");
        assert!(text.chars().count() <= 257, "{}", text.chars().count());
        for raw in ['\u{1b}', '\u{202e}', '\u{85}', '\u{2028}', '\u{2066}'] {
            assert!(!text.contains(raw), "{raw:?} in {text:?}");
        }
        for escaped in ["\\u001b", "\\u202e", "\\u0085", "\\u2028", "\\u2066"] {
            assert!(text.contains(escaped), "{escaped} not in {text:?}");
        }
    }
}

fn digest_param(auth: &str, name: &str) -> String {
    let at = auth.find(&format!("{name}=")).unwrap() + name.len() + 1;
    auth[at..]
        .trim_start_matches('"')
        .split(['"', ','])
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn echoed_nonces_and_digest_responses_are_redacted_and_causes_narrowed() {
    const NONCE: &str = "n0nceEcho5ecret77";
    let header = "WWW-Authenticate: Digest realm=\"127.0.0.1\", nonce=\"n0nceEcho5ecret77\", algorithm=SHA-256, qop=\"auth\"\r\n";
    for t in ["udp", "tcp"] {
        let p = peer(
            t,
            challenging(header, |r, auth| {
                let response = digest_param(auth, "response");
                let cnonce = digest_param(auth, "cnonce");
                vec![Out::Send(r.answer(
                    403,
                    &format!("Forbidden {NONCE} {response}"),
                    &format!("Server: echo {response} {cnonce}\r\n"),
                ))]
            }),
            2.0,
        )
        .await;
        let mut o = p.opts.clone();
        o.trace = true;
        let r = p.probe(true, &o).await;
        assert_eq!(r.outcome, Outcome::AuthRejected, "{t}: {r:#?}");
        let json = r.to_json_string();
        let auths = p.seen.authorizations.lock().unwrap().clone();
        let response = digest_param(&auths[0], "response");
        let cnonce = digest_param(&auths[0], "cnonce");
        for secret in [NONCE, response.as_str(), cnonce.as_str()] {
            assert!(!json.contains(secret), "{secret} in {json}");
        }
        assert!(json.contains("[redacted]"), "{json}");
        // The trace: every message, in order, with its address; secrets redacted.
        let trace = r.trace.as_ref().expect("trace: true");
        assert!(trace.len() >= 4, "{trace:#?}");
        assert_eq!(trace[0].direction, "sent");
        assert!(trace.iter().any(|m| m.direction == "received"));
        assert!(trace.iter().all(|m| m.address == p.server));
        assert!(
            trace
                .iter()
                .any(|m| m.message.contains("response=\"[redacted]\"")),
            "{trace:#?}"
        );
        // After auth_rejected on a credential with authUser: neither "the first 401 is the
        // normal challenge" nor "no credentials configured".
        let codes: Vec<&str> = r.causes.iter().map(|c| c.code).collect();
        assert_eq!(codes.first(), Some(&"wrong_credentials"), "{codes:?}");
        assert!(
            !codes.contains(&"digest_challenge") && !codes.contains(&"auth_not_configured"),
            "{codes:?}"
        );
    }
    // Without trace, no trace.
    let p = peer(
        "udp",
        script(|r| vec![Out::Send(r.answer(200, "OK", ""))]),
        1.0,
    )
    .await;
    let r = p.probe(false, &p.opts).await;
    assert!(r.trace.is_none());
    assert!(!r.to_json_string().contains("\"trace\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_realm_mismatch_names_both_realms() {
    let header = "WWW-Authenticate: Digest realm=\"sip.elsewhere.example\", nonce=\"ff66\", qop=\"auth\"\r\n";
    let p = peer(
        "udp",
        challenging(header, |r, _| vec![Out::Send(r.answer(200, "OK", ""))]),
        2.0,
    )
    .await;
    let r = p.probe(true, &p.opts).await;
    assert_eq!(r.outcome, Outcome::RealmMismatch, "{r:#?}");
    let observed: Vec<&str> = r
        .causes
        .iter()
        .filter_map(|c| c.observed.as_deref())
        .collect();
    assert!(
        observed
            .iter()
            .any(|o| o.contains("sip.elsewhere.example") && o.contains("127.0.0.1")),
        "{r:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn target_caps_skips_and_shares() {
    // 100 refusing TCP targets: at most 8 tried.
    let mut records: Vec<String> = (0..100)
        .map(|i| {
            format!(
                "--srv-host=_sip._tcp.refusing.test,r.test,{},{},10",
                peers::free_port(),
                10 + i
            )
        })
        .collect();
    records.push("--host-record=r.test,127.0.0.1".into());
    // Port 0 first, then a live peer.
    let (live, _) = hp::udp(script(|r| vec![Out::Send(r.answer(200, "OK", ""))])).await;
    records.push("--srv-host=_sip._udp.zero.test,z.test,0,1,10".into());
    records.push(format!(
        "--srv-host=_sip._udp.zero.test,z.test,{},2,10",
        live.port()
    ));
    records.push("--host-record=z.test,127.0.0.1".into());
    // 100 targets, the first answering after 150 ms, the others silent.
    let (slow, _) = hp::udp(script(|r| {
        vec![
            Out::Sleep(Duration::from_millis(150)),
            Out::Send(r.answer(200, "OK", "")),
        ]
    }))
    .await;
    records.push(format!(
        "--srv-host=_sip._udp.long.test,l.test,{},1,10",
        slow.port()
    ));
    let silent: Vec<std::net::UdpSocket> = (0..99)
        .map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap())
        .collect();
    for (i, s) in silent.iter().enumerate() {
        records.push(format!(
            "--srv-host=_sip._udp.long.test,l.test,{},{},10",
            s.local_addr().unwrap().port(),
            2 + i
        ));
    }
    records.push("--host-record=l.test,127.0.0.1".into());
    let Some(dns) = peers::dnsmasq(&records) else {
        return;
    };
    let probe = |server: &str, transport: &str, timeout: f64| {
        let input = CredentialInput::from_json(&format!(
            r#"{{"server": "{server}", "transport": "{transport}"}}"#
        ))
        .unwrap();
        let mut o = ProbeOptions::default()
            .with_timeout(Duration::from_secs_f64(timeout))
            .unwrap();
        o.nameserver = Some(dns.addr);
        async move { probe_input(None, &input, &o).await }
    };
    let r = probe("refusing.test", "tcp", 3.0).await;
    assert_eq!(r.outcome, Outcome::ConnectionRefused, "{r:#?}");
    assert!(r.targets.len() >= 50, "{} targets", r.targets.len());
    let connects = r
        .steps
        .iter()
        .filter(|s| s.step == sipcreds_probe::StepName::Connect);
    assert_eq!(connects.count(), sipcreds_probe::MAX_TARGETS, "{r:#?}");

    let r = probe("zero.test", "udp", 2.0).await;
    assert_eq!(r.outcome, Outcome::Reachable, "{r:#?}");
    assert!(!r.steps[1].ok, "{r:#?}");
    assert!(
        r.steps[1].detail.as_deref().unwrap().contains("port 0"),
        "{r:#?}"
    );

    let r = probe("long.test", "udp", 2.0).await;
    assert_eq!(r.outcome, Outcome::Reachable, "{r:#?}");
}
