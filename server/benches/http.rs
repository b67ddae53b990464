//! The HTTP API against the peer a team would otherwise write (FastAPI + pydantic + SQLite,
//! `server/bench/peer_fastapi.py` under uvicorn), in one run on this machine: throughput and
//! p50/p99 latency at concurrency 1 and 64 on loopback for `GET` a credential, a 100-item
//! page, `POST` create, and (sipcreds only) `POST …/acquire`; then the server's RSS with
//! 100,000 credentials stored after paging through all of them.
//!
//! Run by `scripts/bench_http.sh` (it builds the release CLI and a virtualenv with FastAPI,
//! uvicorn and pydantic): `SIPCREDS_CLI_BIN` is the `sipcreds` binary, `SIPCREDS_BENCH_PYTHON`
//! the virtualenv's python (without it the peer is skipped, and said so);
//! `SIPCREDS_BENCH_SECONDS` is each measurement's length (default 3).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

const KEY: &str = "c2lwY3JlZHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";
const PEER_TOKEN: &str = "sct_peerpeerpeerpeerpeerpeerpeerpeerpeerpeerpee";

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_up(port: u16, path: &str) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(30) {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.write_all(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            );
            let mut b = String::new();
            let _ = s.read_to_string(&mut b);
            if b.starts_with("HTTP/1.1") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing answers on port {port}");
}

fn cli() -> PathBuf {
    std::env::var_os("SIPCREDS_CLI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/sipcreds"))
}

/// `sipcreds serve` on a fresh SQLite store in `dir`: its process, port and a write token.
fn start_sipcreds(dir: &Path) -> (Proc, u16, String) {
    let db = dir.join("bench.db");
    let out = Command::new(cli())
        .args(["--org", "acme", "tokens", "create", "--role", "write"])
        .env("SIPCREDS_DB", &db)
        .env("SIPCREDS_KEY", KEY)
        .stderr(Stdio::null())
        .output()
        .expect("the sipcreds binary (SIPCREDS_CLI_BIN)");
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let port = free_port();
    let child = Command::new(cli())
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--token-rate",
            "100000",
        ])
        .env("SIPCREDS_DB", &db)
        .env("SIPCREDS_KEY", KEY)
        .env_remove("SIPCREDS_LIMITER")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    wait_up(port, "/v1/healthz");
    (Proc(child), port, token)
}

fn start_peer(python: &str, dir: &Path) -> (Proc, u16) {
    let port = free_port();
    let child = Command::new(python)
        .args([
            "-m",
            "uvicorn",
            "peer_fastapi:app",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--log-level",
            "warning",
            "--no-access-log",
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench"))
        .env("PEER_DB", dir.join("peer.db"))
        .env("PEER_TOKEN", PEER_TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    wait_up(port, "/docs");
    (Proc(child), port)
}

#[derive(Clone)]
struct Req {
    method: &'static str,
    path: String,
    body: Option<String>,
}

/// `concurrency` connections, each sending requests one after the other for `secs`: the
/// requests per second, p50 and p99 in ms, and how many answered an unexpected status.
async fn drive(
    port: u16,
    token: &str,
    concurrency: usize,
    secs: f64,
    expect: u16,
    make: Arc<dyn Fn(usize) -> Req + Send + Sync>,
) -> (f64, f64, f64, usize) {
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(secs);
    let counter = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (make, counter, auth) = (make.clone(), counter.clone(), format!("Bearer {token}"));
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            stream.set_nodelay(true).unwrap();
            let (mut send, conn) = http1::handshake(TokioIo::new(stream)).await.unwrap();
            tokio::spawn(conn);
            let mut lat = Vec::new();
            let mut bad = 0;
            while Instant::now() < until {
                let r = make(counter.fetch_add(1, Ordering::Relaxed));
                let mut b = hyper::Request::builder()
                    .method(r.method)
                    .uri(&r.path)
                    .header("host", "127.0.0.1")
                    .header("authorization", &auth);
                if r.body.is_some() {
                    b = b.header("content-type", "application/json");
                }
                let req = b
                    .body(Full::new(Bytes::from(r.body.unwrap_or_default())))
                    .unwrap();
                let t0 = Instant::now();
                let resp = {
                    send.ready().await.unwrap();
                    send.send_request(req)
                }
                .await
                .unwrap();
                let status = resp.status().as_u16();
                let _ = resp.into_body().collect().await.unwrap();
                lat.push(t0.elapsed());
                if status != expect {
                    bad += 1;
                }
            }
            (lat, bad)
        }));
    }
    let mut all = Vec::new();
    let mut bad = 0;
    for t in tasks {
        let (l, b) = t.await.unwrap();
        all.extend(l);
        bad += b;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 - 1.0) * p) as usize)
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    (all.len() as f64 / elapsed, pct(0.5), pct(0.99), bad)
}

fn input(i: usize) -> String {
    format!(
        r#"{{"name":"trunk {i}","server":"sip{}.example.com:5061","transport":"tls","authUser":"user{i}","authPassword":"pw-{i}-secret","cpsLimit":10,"cpsKey":"acct{}"}}"#,
        i % 50,
        i % 20
    )
}

async fn ids(port: u16, token: &str) -> Vec<String> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (mut send, conn) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::builder()
        .uri("/v1/orgs/acme/credentials?limit=1000")
        .header("host", "x")
        .header("authorization", format!("Bearer {token}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let body = send
        .send_request(req)
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

type Row = (String, usize, (f64, f64, f64, usize));

async fn suite(name: &str, port: u16, token: &str, secs: f64, acquire: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    for c in [1usize, 64] {
        let create = Arc::new(|i: usize| Req {
            method: "POST",
            path: "/v1/orgs/acme/credentials".into(),
            body: Some(input(i)),
        });
        rows.push((
            "POST create".to_owned(),
            c,
            drive(port, token, c, secs, 201, create).await,
        ));
        let ids = Arc::new(ids(port, token).await);
        let list = ids.clone();
        let get = Arc::new(move |i: usize| Req {
            method: "GET",
            path: format!("/v1/orgs/acme/credentials/{}", list[i * 7919 % list.len()]),
            body: None,
        });
        rows.push((
            "GET credential".to_owned(),
            c,
            drive(port, token, c, secs, 200, get).await,
        ));
        let list = ids.clone();
        let page = Arc::new(move |i: usize| Req {
            method: "GET",
            path: format!(
                "/v1/orgs/acme/credentials?limit=100&after={}",
                list[i * 13 % (list.len() - 100)]
            ),
            body: None,
        });
        rows.push((
            "GET 100-item page".to_owned(),
            c,
            drive(port, token, c, secs, 200, page).await,
        ));
        if acquire {
            let list = ids.clone();
            let acq = Arc::new(move |i: usize| Req {
                method: "POST",
                path: format!("/v1/orgs/acme/credentials/{}/acquire", list[i % list.len()]),
                body: None,
            });
            rows.push((
                "POST acquire".to_owned(),
                c,
                drive(port, token, c, secs, 200, acq).await,
            ));
        }
    }
    for (what, c, (rps, p50, p99, bad)) in &rows {
        println!(
            "{name:<9} {what:<18} c={c:<3} {rps:>9.0} req/s  p50 {p50:>7.3} ms  p99 {p99:>7.3} ms{}",
            if *bad > 0 {
                format!("  ({bad} unexpected statuses)")
            } else {
                String::new()
            }
        );
    }
    rows
}

fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn rss_at_100k(dir: &Path) {
    let db = dir.join("big.db");
    let file = dir.join("big.jsonl");
    let lines: String = (0..100_000).map(|i| input(i) + "\n").collect();
    std::fs::write(&file, lines).unwrap();
    let t0 = Instant::now();
    let out = Command::new(cli())
        .args(["--org", "acme", "import"])
        .arg(&file)
        .env("SIPCREDS_DB", &db)
        .env("SIPCREDS_KEY", KEY)
        .stderr(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(out.success());
    let imported = t0.elapsed();
    let token = String::from_utf8(
        Command::new(cli())
            .args(["--org", "acme", "tokens", "create", "--role", "write"])
            .env("SIPCREDS_DB", &db)
            .env("SIPCREDS_KEY", KEY)
            .stderr(Stdio::null())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    let port = free_port();
    let child = Proc(
        Command::new(cli())
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--token-rate",
                "100000",
            ])
            .env("SIPCREDS_DB", &db)
            .env("SIPCREDS_KEY", KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_up(port, "/v1/healthz");
    // Page through all 100,000 (1,000 at a time), then a CPS decision and a lint of the org.
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let (mut send, conn) = http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    let mut after = String::new();
    let mut seen = 0;
    let mut first = String::new();
    loop {
        let q = if after.is_empty() {
            String::new()
        } else {
            format!("&after={after}")
        };
        let req = hyper::Request::builder()
            .uri(format!("/v1/orgs/acme/credentials?limit=1000{q}"))
            .header("host", "x")
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        send.ready().await.unwrap();
        let body = send
            .send_request(req)
            .await
            .unwrap()
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let items = v["items"].as_array().unwrap();
        if first.is_empty() {
            first = items[0]["id"].as_str().unwrap().to_owned();
        }
        seen += items.len();
        match v["next"].as_str() {
            Some(n) => after = n.to_owned(),
            None => break,
        }
    }
    for path in [
        format!("/v1/orgs/acme/credentials/{first}/acquire"),
        "/v1/orgs/acme/lint".into(),
    ] {
        let method = if path.ends_with("acquire") {
            "POST"
        } else {
            "GET"
        };
        let req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "x")
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        send.ready().await.unwrap();
        let _ = send
            .send_request(req)
            .await
            .unwrap()
            .into_body()
            .collect()
            .await;
    }
    let (rss, hwm) = rss_kib(child.0.id());
    println!(
        "sipcreds serve with {seen} credentials (imported in {:.1} s), after paging all, one acquire and the org's lint: RSS {:.1} MB, peak {:.1} MB",
        imported.as_secs_f64(),
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs: f64 = std::env::var("SIPCREDS_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    rt.block_on(async {
        let (ours_proc, port, token) = start_sipcreds(dir.path());
        let ours = suite("sipcreds", port, &token, secs, true).await;
        drop(ours_proc);
        match std::env::var("SIPCREDS_BENCH_PYTHON") {
            Ok(python) => {
                let (peer_proc, peer_port) = start_peer(&python, dir.path());
                let peer = suite("fastapi", peer_port, PEER_TOKEN, secs, false).await;
                drop(peer_proc);
                println!("\nratio (sipcreds / FastAPI+pydantic+SQLite), same machine, same run:");
                for (what, c, (rps, _, p99, _)) in &peer {
                    if let Some((_, _, (ours_rps, _, ours_p99, _))) =
                        ours.iter().find(|(w, oc, _)| w == what && oc == c)
                    {
                        println!(
                            "  {what:<18} c={c:<3} throughput x{:.1}   p99 {:.3} ms vs {:.3} ms",
                            ours_rps / rps,
                            ours_p99,
                            p99
                        );
                    }
                }
            }
            Err(_) => println!("(no SIPCREDS_BENCH_PYTHON: the FastAPI peer was not run; see scripts/bench_http.sh)"),
        }
        rss_at_100k(dir.path()).await;
    });
}
