//! The probe against real peers on loopback (SPEC §12): Kamailio over UDP, TCP and TLS with MD5
//! and SHA-256 challenges; SIPp UAS scenarios; a rustls server with rcgen certificates;
//! dnsmasq with SRV records; closed ports. Every test bounds its own time and kills the peers
//! it started, by pid. Missing peers skip on a developer's machine and fail in CI
//! (`SIPCREDS_REQUIRE_SERVICES=1`).

mod hostile;
mod hostile_peers;
mod sipp;

use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sipcreds::CredentialInput;
use sipcreds_probe::{Outcome, ProbeOptions, Report, probe_input};
use sipcreds_test_support::peers::{self, KamailioConfig};
use sipcreds_test_support::tls;

fn input(json: &str) -> CredentialInput {
    CredentialInput::from_json(json).unwrap()
}

fn opts(timeout_s: f64) -> ProbeOptions {
    ProbeOptions::default()
        .with_timeout(Duration::from_secs_f64(timeout_s))
        .unwrap()
}

/// Every report: at most 12 requests, no secret, the causes of its symptom.
fn check(r: &Report, password: Option<&str>) {
    assert!(r.requests_sent <= sipcreds_probe::MAX_REQUESTS, "{r:#?}");
    let json = r.to_json_string();
    if let Some(p) = password {
        assert!(!json.contains(p), "the password is in the report: {json}");
    }
    assert!(!json.contains("nonce"), "a nonce is in the report: {json}");
    assert!(
        !json.contains("response="),
        "a digest response is in the report: {json}"
    );
    assert_eq!(r.outcome.is_success(), r.causes.is_empty(), "{json}");
}

async fn run(input: &CredentialInput, o: &ProbeOptions) -> Report {
    // Each probe bounds itself; the test bounds the probe again, in case it did not.
    let limit = o.timeout + Duration::from_secs(2);
    tokio::time::timeout(limit, probe_input(Some("cred_test"), input, o))
        .await
        .expect("the probe overran its budget")
}

fn kam_input(port: u16, transport: &str, password: &str, domain: &str) -> CredentialInput {
    input(&format!(
        r#"{{"server": "127.0.0.1:{port}", "transport": "{transport}", "authUser": "alice",
            "authPassword": "{password}", "domain": "{domain}"}}"#
    ))
}

async fn kamailio_matrix(algorithm: &str) {
    let ca = tls::ca("kamailio");
    let leaf = tls::leaf(&ca, &["127.0.0.1"], false);
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = leaf.write(dir.path());
    let Some(k) = peers::kamailio(&KamailioConfig {
        algorithm: algorithm.into(),
        tls: Some((cert, key)),
        ..Default::default()
    }) else {
        return;
    };
    let o = opts(3.0).with_ca_file(&ca.pem_file).unwrap();
    for (transport, port) in [("udp", k.port), ("tcp", k.port), ("tls", k.tls_port)] {
        let ok = run(&kam_input(port, transport, "secret", "sip.test"), &o).await;
        check(&ok, Some("secret"));
        assert_eq!(
            ok.outcome,
            Outcome::Ok,
            "{transport}: {ok:#?}\n{}",
            k.peer.log_text()
        );
        let ch = ok.challenge.as_ref().unwrap();
        assert_eq!(ch.algorithm.to_ascii_uppercase(), algorithm);
        assert_eq!(ch.realm, "sip.test");
        assert_eq!(ok.realm_matches, Some(true));
        assert_eq!(
            ok.requests_sent, 3,
            "OPTIONS, REGISTER, the authenticated REGISTER"
        );
        assert!(ok.public_address.is_some(), "{ok:#?}");
        assert!(
            ok.server_header
                .as_deref()
                .unwrap_or("")
                .contains("kamailio")
        );

        let bad = run(
            &kam_input(port, transport, "wrong-password", "sip.test"),
            &o,
        )
        .await;
        check(&bad, Some("wrong-password"));
        assert_eq!(bad.outcome, Outcome::AuthRejected, "{transport}: {bad:#?}");
        assert_eq!(bad.symptom.as_deref(), Some("401"));
        assert_eq!(bad.causes[0].code, "wrong_credentials");
        assert_eq!(bad.requests_sent, 3, "exactly one authenticated retry");

        let realm = run(&kam_input(port, transport, "secret", "other.test"), &o).await;
        check(&realm, Some("secret"));
        assert_eq!(
            realm.outcome,
            Outcome::RealmMismatch,
            "{transport}: {realm:#?}"
        );
        assert_eq!(realm.configured_realm, "other.test");
        assert_eq!(realm.challenge.as_ref().unwrap().realm, "sip.test");
        assert_eq!(realm.realm_matches, Some(false));
        assert_eq!(realm.symptom.as_deref(), Some("domain_mismatch"));
    }
    // No Contact was ever sent (nothing registered), and no INVITE.
    let log = k.peer.log_text();
    assert!(log.contains("REGISTER RECEIVED"), "{log}");
    for line in log.lines().filter(|l| l.contains("REGISTER RECEIVED")) {
        assert!(
            line.contains("contact=<null>"),
            "a Contact was sent: {line}"
        );
    }
    assert!(!log.contains("INVITE RECEIVED"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn kamailio_md5_over_udp_tcp_and_tls() {
    kamailio_matrix("MD5").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kamailio_sha256_over_udp_tcp_and_tls() {
    kamailio_matrix("SHA-256").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kamailio_503_with_retry_after_is_overloaded() {
    let Some(k) = peers::kamailio(&KamailioConfig {
        busy: Some(30),
        ..Default::default()
    }) else {
        return;
    };
    let r = run(&kam_input(k.port, "udp", "secret", "sip.test"), &opts(2.0)).await;
    check(&r, Some("secret"));
    assert_eq!(r.outcome, Outcome::Overloaded, "{r:#?}");
    assert_eq!(r.status, Some(503));
    assert_eq!(r.retry_after, Some(30));
    assert_eq!(r.symptom.as_deref(), Some("503"));
    assert!(!r.causes.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_tcp_port_spoken_to_with_tls_is_not_tls() {
    let Some(k) = peers::kamailio(&KamailioConfig::default()) else {
        return;
    };
    let r = run(
        &input(&format!(
            r#"{{"server": "127.0.0.1:{}", "transport": "tls"}}"#,
            k.port
        )),
        &opts(1.0),
    )
    .await;
    check(&r, None);
    assert_eq!(r.outcome, Outcome::TlsHandshakeFailed, "{r:#?}");
    assert_eq!(r.tls_error.as_deref(), Some("not_tls"));
    assert_eq!(r.requests_sent, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_udp_and_tcp_ports_are_refused() {
    for transport in ["udp", "tcp"] {
        let port = peers::free_port();
        let r = run(
            &input(&format!(
                r#"{{"server": "127.0.0.1:{port}", "transport": "{transport}", "authUser": "a", "authPassword": "pw-closed"}}"#
            )),
            &opts(2.0),
        )
        .await;
        check(&r, Some("pw-closed"));
        assert_eq!(r.outcome, Outcome::ConnectionRefused, "{transport}: {r:#?}");
        assert_eq!(r.symptom.as_deref(), Some("connection_refused"));
        assert!(r.elapsed_ms < 1000.0, "a refusal is seen at once: {r:#?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_certificates_expired_wrong_name_unknown_issuer() {
    let Some(dns) = peers::dnsmasq(&["--host-record=sip.test,127.0.0.1".into()]) else {
        return;
    };
    let ca = tls::ca("good");
    let other = tls::ca("other");
    let cases = [
        (
            "valid",
            tls::leaf(&ca, &["sip.test"], false),
            Some(&ca),
            None,
        ),
        (
            "expired",
            tls::leaf(&ca, &["sip.test"], true),
            Some(&ca),
            Some("expired"),
        ),
        (
            "wrong name",
            tls::leaf(&ca, &["other.test"], false),
            Some(&ca),
            Some("name_mismatch"),
        ),
        (
            "unknown issuer",
            tls::leaf(&other, &["sip.test"], false),
            Some(&ca),
            Some("unknown_issuer"),
        ),
        (
            "not in the bundled roots",
            tls::leaf(&ca, &["sip.test"], false),
            None,
            Some("unknown_issuer"),
        ),
    ];
    for (what, leaf, trust, expect) in cases {
        let addr = tls::server(&leaf).await;
        let mut o = opts(2.0);
        if let Some(ca) = trust {
            o = o.with_ca_file(&ca.pem_file).unwrap();
        }
        o.nameserver = Some(dns.addr);
        let r = run(
            &input(&format!(
                r#"{{"server": "sip.test:{}", "transport": "tls"}}"#,
                addr.port()
            )),
            &o,
        )
        .await;
        check(&r, None);
        match expect {
            None => {
                assert_eq!(r.outcome, Outcome::Reachable, "{what}: {r:#?}");
                assert_eq!(r.server_header.as_deref(), Some("rustls-test"));
            }
            Some(e) => {
                assert_eq!(r.outcome, Outcome::TlsHandshakeFailed, "{what}: {r:#?}");
                assert_eq!(r.tls_error.as_deref(), Some(e), "{what}: {r:#?}");
                assert_eq!(r.symptom.as_deref(), Some("tls_handshake_failed"));
            }
        }
    }
    // An IP literal: no SNI, the certificate's IP address is checked.
    let leaf = tls::leaf(&ca, &["127.0.0.1"], false);
    let addr = tls::server(&leaf).await;
    let o = opts(2.0).with_ca_file(&ca.pem_file).unwrap();
    let r = run(
        &input(&format!(r#"{{"server": "{addr}", "transport": "tls"}}"#)),
        &o,
    )
    .await;
    assert_eq!(r.outcome, Outcome::Reachable, "{r:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn srv_with_a_dead_first_target_succeeds_on_the_second() {
    let Some(k) = peers::kamailio(&KamailioConfig::default()) else {
        return;
    };
    let dead = peers::free_port();
    let Some(dns) = peers::dnsmasq(&[
        format!("--srv-host=_sip._udp.sip.test,dead.test,{dead},10,10"),
        format!("--srv-host=_sip._udp.sip.test,live.test,{},20,10", k.port),
        "--host-record=dead.test,127.0.0.1".into(),
        "--host-record=live.test,127.0.0.1".into(),
    ]) else {
        return;
    };
    let mut o = opts(3.0);
    o.nameserver = Some(dns.addr);
    let r = run(
        &input(r#"{"server": "sip.test", "authUser": "alice", "authPassword": "secret"}"#),
        &o,
    )
    .await;
    check(&r, Some("secret"));
    assert_eq!(r.outcome, Outcome::Ok, "{r:#?}\n{}", dns.peer.log_text());
    assert_eq!(r.targets.len(), 2, "{r:#?}");
    assert!(
        r.targets
            .iter()
            .all(|t| t.source == sipcreds_probe::Source::Srv)
    );
    assert_eq!(r.targets[0].port, dead);
    assert_eq!(r.targets[1].port, k.port);
    let dead_target = format!("127.0.0.1:{dead}");
    assert!(
        r.steps
            .iter()
            .any(|s| s.target.as_deref() == Some(dead_target.as_str()) && !s.ok),
        "the dead target is reported: {r:#?}"
    );

    // No SRV record: A on the default port. An unknown name: dns_failure.
    let r = run(&input(r#"{"server": "nowhere.test"}"#), &o).await;
    check(&r, None);
    assert_eq!(r.outcome, Outcome::DnsFailure, "{r:#?}");
    assert_eq!(r.symptom.as_deref(), Some("dns_failure"));
    assert!(
        r.steps[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("NXDOMAIN"),
        "{r:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nameserver_that_refuses_srv_still_gives_the_a_record() {
    // Without --local, dnsmasq answers REFUSED for the names it does not hold (the SRV name).
    let Some(k) = peers::kamailio(&KamailioConfig::default()) else {
        return;
    };
    let Some(dns) = peers::dnsmasq_with(&["--host-record=plain.test,127.0.0.1".into()], false)
    else {
        return;
    };
    let mut o = opts(3.0);
    o.nameserver = Some(dns.addr);
    // The A record on the default port: Kamailio is not there, but the name resolved.
    let r = run(&input(r#"{"server": "plain.test"}"#), &o).await;
    assert_eq!(r.targets.len(), 1, "{r:#?}");
    assert_eq!(r.targets[0].port, 5060);
    assert_eq!(r.targets[0].source, sipcreds_probe::Source::A);
    // With the port given: only A, and Kamailio answers.
    let r = run(
        &input(&format!(r#"{{"server": "plain.test:{}"}}"#, k.port)),
        &o,
    )
    .await;
    assert_eq!(r.outcome, Outcome::Reachable, "{r:#?}");
    // An unknown name: REFUSED for both.
    let r = run(&input(r#"{"server": "unknown.test"}"#), &o).await;
    assert_eq!(r.outcome, Outcome::DnsFailure, "{r:#?}");
}

/// UDP sockets that count what they receive and never answer.
fn silent_sockets(n: usize) -> (Vec<u16>, Arc<AtomicUsize>, Vec<std::thread::JoinHandle<()>>) {
    let count = Arc::new(AtomicUsize::new(0));
    let mut ports = Vec::new();
    let mut threads = Vec::new();
    for _ in 0..n {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        ports.push(sock.local_addr().unwrap().port());
        let count = count.clone();
        threads.push(std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let end = std::time::Instant::now() + Duration::from_secs(15);
            while std::time::Instant::now() < end {
                if sock.recv_from(&mut buf).is_ok() {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    (ports, count, threads)
}

#[tokio::test(flavor = "multi_thread")]
async fn never_more_than_12_requests_even_with_many_silent_targets() {
    let (ports, count, _threads) = silent_sockets(8);
    let mut records: Vec<String> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| format!("--srv-host=_sip._udp.many.test,t{i}.test,{p},{},10", 10 + i))
        .collect();
    records.extend((0..8).map(|i| format!("--host-record=t{i}.test,127.0.0.1")));
    let Some(dns) = peers::dnsmasq(&records) else {
        return;
    };
    let mut o = opts(10.0);
    o.nameserver = Some(dns.addr);
    let r = run(
        &input(r#"{"server": "many.test", "authUser": "u", "authPassword": "pw-many"}"#),
        &o,
    )
    .await;
    check(&r, Some("pw-many"));
    assert_eq!(r.outcome, Outcome::Timeout, "{r:#?}");
    assert_eq!(r.targets.len(), 8);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = count.load(Ordering::SeqCst);
    assert_eq!(received as u32, r.requests_sent, "{r:#?}");
    assert!(received <= 12, "{received} requests sent");
    assert!(r.elapsed_ms <= 10_050.0, "{r:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_probe_of_a_credential_at_a_time() {
    let (ports, _count, _threads) = silent_sockets(2);
    let reg = sipcreds::Registry::in_memory();
    let a = reg
        .create_credential(
            "org",
            input(&format!(r#"{{"server": "127.0.0.1:{}"}}"#, ports[0])),
        )
        .unwrap();
    let b = reg
        .create_credential(
            "org",
            input(&format!(r#"{{"server": "127.0.0.1:{}"}}"#, ports[1])),
        )
        .unwrap();
    let o = opts(0.5);
    let began = std::time::Instant::now();
    let (r1, r2, r3) = tokio::join!(
        sipcreds_probe::probe(&a, &o),
        sipcreds_probe::probe(&a, &o),
        sipcreds_probe::probe(&b, &o)
    );
    let wall = began.elapsed();
    for r in [&r1, &r2, &r3] {
        assert_eq!(r.outcome, Outcome::Timeout);
        assert!((r.elapsed_ms - 500.0).abs() <= 50.0, "{r:#?}");
    }
    // The two probes of `a` ran one after the other; `b` beside them.
    assert!(wall >= Duration::from_millis(990), "{wall:?}");
    assert!(wall < Duration::from_millis(1300), "{wall:?}");
}

#[test]
fn the_blocking_calls_and_their_errors() {
    let reg = sipcreds::Registry::in_memory();
    let port = peers::free_port();
    let c = reg
        .create_credential(
            "org",
            input(&format!(
                r#"{{"server": "127.0.0.1:{port}", "transport": "tcp"}}"#
            )),
        )
        .unwrap();
    let r =
        sipcreds_probe::probe_registry_blocking(&reg, "org", c.id.as_str(), &opts(1.0)).unwrap();
    assert_eq!(r.outcome, Outcome::ConnectionRefused);
    assert_eq!(r.credential_id.as_deref(), Some(c.id.as_str()));
    let e = sipcreds_probe::probe_registry_json(&reg, "org", "cred_nope", "{}").unwrap_err();
    assert_eq!(e.code().as_str(), "not_found");
    let e = sipcreds_probe::probe_registry_json(&reg, "org", c.id.as_str(), r#"{"timeout": 0}"#)
        .unwrap_err();
    assert_eq!(
        (e.code().as_str(), e.field()),
        ("invalid_option", Some("timeout"))
    );
    let json = sipcreds_probe::probe_registry_json(&reg, "org", c.id.as_str(), r#"{"timeout": 1}"#)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["outcome"], "connection_refused");
    assert_eq!(v["steps"][1]["step"], "connect");
}
