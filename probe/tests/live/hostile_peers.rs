//! Loopback SIP servers that misbehave on command (SPEC §12, "against a broken or hostile
//! server"): over UDP, TCP and TLS, each request is handed to a script that says what to send
//! back: well-formed answers, spoofs, floods without end, or a closed connection. The servers
//! count what reaches them, so a test can check what the probe sent as well as what it said.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, UdpSocket};

/// How long a flood goes on at most (the probes under test have budgets of 1-3 s).
const FLOOD_FOR: Duration = Duration::from_secs(6);

/// A request as the peer read it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub text: String,
}

impl Req {
    fn parse(text: &str) -> Option<Req> {
        let method = text.split_whitespace().next()?.to_owned();
        Some(Req {
            method,
            text: text.to_owned(),
        })
    }

    /// A header's whole line (`Via: …`), by name, any case.
    pub fn line(&self, name: &str) -> String {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .unwrap_or("")
            .trim_end()
            .to_owned()
    }

    /// A header's value.
    pub fn value(&self, name: &str) -> String {
        let line = self.line(name);
        line.split_once(':')
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// `Authorization`/`Proxy-Authorization`, if sent.
    pub fn authorization(&self) -> Option<String> {
        ["Authorization", "Proxy-Authorization"]
            .iter()
            .map(|n| self.value(n))
            .find(|v| !v.is_empty())
    }

    /// A response matched to this request (its Via, From, To, Call-ID, CSeq), with `extra`
    /// header lines (each ending in CRLF) and an empty body.
    pub fn answer(&self, status: u16, reason: &str, extra: &str) -> Vec<u8> {
        self.answer_with(
            status,
            reason,
            &self.line("Via"),
            &self.line("Call-ID"),
            &self.line("CSeq"),
            extra,
        )
    }

    /// A response with these Via, Call-ID and CSeq lines instead of the request's.
    pub fn answer_with(
        &self,
        status: u16,
        reason: &str,
        via: &str,
        call_id: &str,
        cseq: &str,
        extra: &str,
    ) -> Vec<u8> {
        format!(
            "SIP/2.0 {status} {reason}\r\n{via}\r\n{}\r\n{};tag=hostile\r\n{call_id}\r\n{cseq}\r\n{extra}Content-Length: 0\r\n\r\n",
            self.line("From"),
            self.line("To"),
        )
        .into_bytes()
    }
}

/// What the peer does, in order, for one request.
#[derive(Debug, Clone)]
pub enum Out {
    /// Send these bytes (one datagram over UDP).
    Send(Vec<u8>),
    /// Send these bytes again and again, as fast as the socket takes them, for [`FLOOD_FOR`]
    /// or until the probe goes away.
    Flood(Vec<u8>),
    /// Wait.
    Sleep(Duration),
    /// Close the connection (streams only).
    Close,
}

/// The script: the request and how many requests came before it on this server.
pub type Script = Arc<dyn Fn(&Req, usize) -> Vec<Out> + Send + Sync>;

/// What reached a peer.
#[derive(Debug, Default)]
pub struct Seen {
    pub requests: AtomicUsize,
    pub connections: AtomicUsize,
    pub authorizations: Mutex<Vec<String>>,
    pub methods: Mutex<Vec<String>>,
}

impl Seen {
    fn note(&self, req: &Req) {
        self.requests.fetch_add(1, Ordering::SeqCst);
        self.methods.lock().unwrap().push(req.method.clone());
        if let Some(a) = req.authorization() {
            self.authorizations.lock().unwrap().push(a);
        }
    }
}

/// A UDP peer on 127.0.0.1.
pub async fn udp(script: Script) -> (SocketAddr, Arc<Seen>) {
    let sock = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
    let addr = sock.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let s2 = seen.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_535];
        loop {
            let Ok((n, from)) = sock.recv_from(&mut buf).await else {
                return;
            };
            let Some(req) = Req::parse(&String::from_utf8_lossy(&buf[..n])) else {
                continue;
            };
            let nth = s2.requests.load(Ordering::SeqCst);
            s2.note(&req);
            let outs = script(&req, nth);
            let sock = sock.clone();
            tokio::spawn(async move {
                for out in outs {
                    match out {
                        Out::Send(b) => {
                            let _ = sock.send_to(&b, from).await;
                        }
                        Out::Flood(b) => {
                            let end = Instant::now() + FLOOD_FOR;
                            while Instant::now() < end {
                                if sock.send_to(&b, from).await.is_err() {
                                    break;
                                }
                                tokio::task::yield_now().await;
                            }
                        }
                        Out::Sleep(d) => tokio::time::sleep(d).await,
                        Out::Close => {}
                    }
                }
            });
        }
    });
    (addr, seen)
}

/// A TCP peer on 127.0.0.1 (with `tls`, a TLS one).
pub async fn stream(
    script: Script,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> (SocketAddr, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let s2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            s2.connections.fetch_add(1, Ordering::SeqCst);
            let script = script.clone();
            let seen = s2.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                match tls {
                    None => serve(tcp, script, seen).await,
                    Some(config) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(config);
                        if let Ok(s) = acceptor.accept(tcp).await {
                            serve(s, script, seen).await;
                        }
                    }
                }
            });
        }
    });
    (addr, seen)
}

async fn serve<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut s: S,
    script: Script,
    seen: Arc<Seen>,
) {
    let mut buf = Vec::new();
    while let Some(msg) = sipcreds_test_support::next_head(&mut s, &mut buf).await {
        let Some(req) = Req::parse(&String::from_utf8_lossy(&msg)) else {
            continue;
        };
        let nth = seen.requests.load(Ordering::SeqCst);
        seen.note(&req);
        for out in script(&req, nth) {
            match out {
                Out::Send(b) => {
                    if s.write_all(&b).await.is_err() {
                        return;
                    }
                    let _ = s.flush().await;
                }
                Out::Flood(b) => {
                    let end = Instant::now() + FLOOD_FOR;
                    while Instant::now() < end {
                        if s.write_all(&b).await.is_err() {
                            return;
                        }
                    }
                    return;
                }
                Out::Sleep(d) => tokio::time::sleep(d).await,
                Out::Close => {
                    let _ = s.shutdown().await;
                    return;
                }
            }
        }
    }
}

/// A script from a closure that ignores the count.
pub fn script(f: impl Fn(&Req) -> Vec<Out> + Send + Sync + 'static) -> Script {
    Arc::new(move |r, _| f(r))
}
