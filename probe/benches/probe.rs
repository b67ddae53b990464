//! The probe's cost over the round trips themselves, against a real Kamailio on loopback
//! (UDP, TCP, TLS; OPTIONS only, and OPTIONS + REGISTER with digest): each probe against a
//! minimal client sending the same messages on the same transport, in the same run. Then
//! `probe --all`'s engine over 1,000 credentials at concurrency 100 (wall time, peak memory,
//! file descriptors left open), and a silent peer against the budget.
//!
//! `cargo bench -p sipcreds-probe --bench probe` (needs kamailio; `SIPCREDS_BENCH_RUNS`
//! sets the runs per case, default 300). Targets: probe − client ≤ 1 ms; 1,000 probes ≤ 3 s,
//! ≤ 100 MB, no descriptor left; a silent probe ends within its budget ± 50 ms.

use sipcreds_test_support::{peers, tls};

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sipcreds::CredentialInput;
use sipcreds_probe::{Outcome, ProbeOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

fn runs() -> usize {
    std::env::var("SIPCREDS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn p90(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() * 9 / 10]
}

enum Wire {
    Udp(UdpSocket),
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Wire {
    async fn open(transport: &str, addr: SocketAddr, tls: &Arc<rustls::ClientConfig>) -> Wire {
        match transport {
            "udp" => {
                let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                s.connect(addr).await.unwrap();
                Wire::Udp(s)
            }
            "tcp" => {
                let s = TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                Wire::Tcp(s)
            }
            _ => {
                let s = TcpStream::connect(addr).await.unwrap();
                s.set_nodelay(true).unwrap();
                let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
                let t = tokio_rustls::TlsConnector::from(tls.clone())
                    .connect(name, s)
                    .await
                    .unwrap();
                Wire::Tls(Box::new(t))
            }
        }
    }

    fn local(&self) -> SocketAddr {
        match self {
            Wire::Udp(s) => s.local_addr().unwrap(),
            Wire::Tcp(s) => s.local_addr().unwrap(),
            Wire::Tls(s) => s.get_ref().0.local_addr().unwrap(),
        }
    }

    /// Send one request, read one whole response (these are small: one read of the head).
    async fn round_trip(&mut self, req: &[u8]) -> Vec<u8> {
        let mut buf = vec![0u8; 8192];
        match self {
            Wire::Udp(s) => {
                s.send(req).await.unwrap();
                let n = s.recv(&mut buf).await.unwrap();
                buf.truncate(n);
            }
            Wire::Tcp(s) => {
                s.write_all(req).await.unwrap();
                let n = read_message(s, &mut buf).await;
                buf.truncate(n);
            }
            Wire::Tls(s) => {
                s.write_all(req).await.unwrap();
                s.flush().await.unwrap();
                let n = read_message(s, &mut buf).await;
                buf.truncate(n);
            }
        }
        buf
    }
}

async fn read_message<S: tokio::io::AsyncRead + Unpin>(s: &mut S, buf: &mut [u8]) -> usize {
    let mut n = 0;
    loop {
        n += s.read(&mut buf[n..]).await.unwrap();
        if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
            return n;
        }
    }
}

/// A minimal client: the same messages as the probe, built with its own request type.
async fn client(
    transport: &str,
    addr: SocketAddr,
    tls: &Arc<rustls::ClientConfig>,
    register: bool,
) {
    use sipcreds_probe::message::{Request, parse_response, random_hex};
    let tp = sipcreds::Transport::parse(transport).unwrap();
    let mut w = Wire::open(transport, addr, tls).await;
    let local = w.local();
    let mut req = Request {
        method: "OPTIONS",
        uri: format!("sip:{addr}"),
        transport: tp,
        local,
        branch: format!("z9hG4bK{}", random_hex(20)),
        from: "sip:alice@sip.test".into(),
        to: format!("sip:{addr}"),
        from_tag: random_hex(10),
        call_id: random_hex(24),
        cseq: 1,
        authorization: None,
    };
    let r = w.round_trip(&req.to_bytes()).await;
    assert!(r.starts_with(b"SIP/2.0 200"));
    if !register {
        return;
    }
    req.method = "REGISTER";
    req.uri = "sip:sip.test".into();
    req.to = "sip:alice@sip.test".into();
    req.call_id = random_hex(24);
    req.branch = format!("z9hG4bK{}", random_hex(20));
    let r = parse_response(&w.round_trip(&req.to_bytes()).await).unwrap();
    assert_eq!(r.status, 401);
    let ch = &r.challenges[0];
    let header = sipcreds_probe::digest::authorization(
        ch,
        "alice",
        "secret",
        "REGISTER",
        &req.uri,
        &random_hex(16),
        1,
    )
    .unwrap();
    req.authorization = Some((false, header));
    req.cseq = 2;
    req.branch = format!("z9hG4bK{}", random_hex(20));
    let r = w.round_trip(&req.to_bytes()).await;
    assert!(
        r.starts_with(b"SIP/2.0 200"),
        "{}",
        String::from_utf8_lossy(&r)
    );
}

fn rss_peak_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would run this too: only bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let ca = tls::ca("bench");
    let leaf = tls::leaf(&ca, &["127.0.0.1"], false);
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = leaf.write(dir.path());
    let Some(k) = peers::kamailio(&peers::KamailioConfig {
        tls: Some((cert, key)),
        ..Default::default()
    }) else {
        eprintln!("kamailio is not installed: nothing to measure");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = ProbeOptions::default().with_ca_file(&ca.pem_file).unwrap();
    let tls_config = options.tls_config();
    let n = runs();
    println!("probe against a loopback Kamailio, {n} runs per case (median / p90, ms)\n");
    println!(
        "{:28} {:>16} {:>16} {:>12}",
        "case", "probe", "same messages", "probe adds"
    );
    let mut worst: f64 = 0.0;
    for transport in ["udp", "tcp", "tls"] {
        let port = if transport == "tls" {
            k.tls_port
        } else {
            k.port
        };
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        for register in [false, true] {
            let input = CredentialInput::from_json(&format!(
                r#"{{"server": "{addr}", "transport": "{transport}", "authUser": "alice", "authPassword": "secret", "domain": "sip.test"}}"#
            ))
            .unwrap();
            let mut o = options.clone();
            o.register = Some(register);
            let (mut probe_ms, mut client_ms) = (Vec::new(), Vec::new());
            rt.block_on(async {
                for i in 0..n + 20 {
                    // Interleaved, so both see the same machine.
                    let t = Instant::now();
                    let r = sipcreds_probe::probe_input(None, &input, &o).await;
                    let p = t.elapsed().as_secs_f64() * 1000.0;
                    assert!(
                        matches!(r.outcome, Outcome::Ok | Outcome::Reachable),
                        "{r:#?}"
                    );
                    let t = Instant::now();
                    client(transport, addr, &tls_config, register).await;
                    let c = t.elapsed().as_secs_f64() * 1000.0;
                    if i >= 20 {
                        probe_ms.push(p);
                        client_ms.push(c);
                    }
                }
            });
            let (pm, cm) = (median(probe_ms.clone()), median(client_ms.clone()));
            worst = worst.max(pm - cm);
            println!(
                "{:28} {:>7.3} / {:>6.3} {:>7.3} / {:>6.3} {:>9.3} ms",
                format!(
                    "{transport} {}",
                    if register {
                        "OPTIONS+REGISTER"
                    } else {
                        "OPTIONS"
                    }
                ),
                pm,
                p90(probe_ms),
                cm,
                p90(client_ms),
                pm - cm
            );
        }
    }
    println!("\nworst median overhead: {worst:.3} ms (target ≤ 1 ms)\n");

    // probe --all's engine: 1,000 stored credentials, 100 at a time.
    let reg = sipcreds::Registry::in_memory();
    let closed = peers::free_port();
    let inputs: Vec<CredentialInput> = (0..1000)
        .map(|i| {
            let (server, transport) = match i % 4 {
                0 => (format!("127.0.0.1:{}", k.port), "udp"),
                1 => (format!("127.0.0.1:{}", k.port), "tcp"),
                2 => (format!("127.0.0.1:{}", k.tls_port), "tls"),
                _ => (format!("127.0.0.1:{closed}"), "tcp"),
            };
            CredentialInput::from_json(&format!(
                r#"{{"server": "{server}", "transport": "{transport}", "authUser": "u{i}", "authPassword": "secret", "domain": "sip.test"}}"#
            ))
            .unwrap()
        })
        .collect();
    let creds = reg.create_credentials("bench", inputs).unwrap();
    let fds_before = open_fds();
    let rss_before = rss_peak_kb();
    let t = Instant::now();
    let outcomes = rt.block_on(async {
        let permits = Arc::new(tokio::sync::Semaphore::new(100));
        let options = Arc::new(options.clone());
        let mut set = tokio::task::JoinSet::new();
        for c in creds {
            let permit = permits.clone().acquire_owned().await.unwrap();
            let options = options.clone();
            set.spawn(async move {
                let r = sipcreds_probe::probe(&c, &options).await;
                drop(permit);
                r.outcome
            });
        }
        let mut out = Vec::new();
        while let Some(o) = set.join_next().await {
            out.push(o.unwrap());
        }
        out
    });
    let wall = t.elapsed();
    // Let the runtime's sockets close before counting.
    std::thread::sleep(Duration::from_millis(200));
    let fds_after = open_fds();
    let ok = outcomes.iter().filter(|o| **o == Outcome::Ok).count();
    let refused = outcomes
        .iter()
        .filter(|o| **o == Outcome::ConnectionRefused)
        .count();
    println!(
        "1,000 credentials at concurrency 100: {:.2} s wall ({ok} ok, {refused} refused, {} other); peak RSS {:.1} MB (before: {:.1} MB); descriptors {fds_before} before, {fds_after} after",
        wall.as_secs_f64(),
        outcomes.len() - ok - refused,
        rss_peak_kb() as f64 / 1024.0,
        rss_before as f64 / 1024.0,
    );

    // A silent peer: the probe ends at its budget.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let input = CredentialInput::from_json(&format!(
        r#"{{"server": "{}"}}"#,
        silent.local_addr().unwrap()
    ))
    .unwrap();
    let mut deviations = Vec::new();
    for budget in [0.5, 1.0, 2.0] {
        let o = ProbeOptions::default()
            .with_timeout(Duration::from_secs_f64(budget))
            .unwrap();
        for _ in 0..3 {
            let t = Instant::now();
            let r = rt.block_on(sipcreds_probe::probe_input(None, &input, &o));
            assert_eq!(r.outcome, Outcome::Timeout);
            deviations.push((t.elapsed().as_secs_f64() - budget) * 1000.0);
        }
    }
    let max = deviations
        .iter()
        .cloned()
        .fold(0.0f64, |a, b| a.max(b.abs()));
    println!(
        "silent peer, budgets 0.5/1/2 s × 3: ends {:.1} ms past its budget at most (target ± 50 ms)",
        max
    );
}
