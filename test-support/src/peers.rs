//! The real peers of the live tests, from Debian's packages, on loopback: Kamailio, SIPp,
//! dnsmasq; and a rustls server with rcgen certificates. Each is started on ports of its own,
//! in a process group of its own, and killed by pid (the whole group) when dropped.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A binary a test needs: `None` (the test skips, saying so) when missing on a developer's
/// machine, a failure under `SIPCREDS_REQUIRE_SERVICES=1` (CI).
pub fn require(bin: &str) -> Option<PathBuf> {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"] {
        let p = Path::new(dir).join(bin);
        if p.exists() {
            return Some(p);
        }
    }
    if std::env::var("SIPCREDS_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!(
            "{bin} is not installed, and SIPCREDS_REQUIRE_SERVICES=1: run scripts/ci/services.sh"
        );
    }
    eprintln!(
        "SKIPPED: {bin} is not installed (apt-get install kamailio kamailio-tls-modules sip-tester dnsmasq-base)"
    );
    None
}

/// A port free for both UDP and TCP on 127.0.0.1 (SIP servers listen on both).
pub fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A temporary directory for one peer's files, removed on drop.
pub fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("sipcreds-probe-{name}-"))
        .tempdir()
        .unwrap()
}

/// A started peer: killed (its process group, by pid) when dropped.
#[derive(Debug)]
pub struct Peer {
    pub name: String,
    child: Option<Child>,
    pub log: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Peer {
    pub fn start(name: &str, cmd: &mut Command, dir: tempfile::TempDir) -> Peer {
        let log = dir.path().join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        Peer {
            name: name.into(),
            child: Some(child),
            log,
            _dir: Some(dir),
        }
    }

    /// The peer's log so far (for a failing assertion's message).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Fail if the peer already exited (a bad configuration), with its log.
    pub fn assert_running(&mut self) {
        if let Some(c) = self.child.as_mut()
            && let Ok(Some(status)) = c.try_wait()
        {
            panic!(
                "{} exited at once ({status}):\n{}",
                self.name,
                self.log_text()
            );
        }
    }
}

/// A 200 OK to a SIP request, its Via, From, To, Call-ID and CSeq copied: what a loopback
/// test peer answers.
#[allow(dead_code)]
pub fn ok_reply(request: &str) -> String {
    ok_reply_with(request, "")
}

/// [`ok_reply`] with more header lines (each ending in CRLF) before `Content-Length`.
#[allow(dead_code)]
pub fn ok_reply_with(request: &str, headers: &str) -> String {
    let keep: Vec<&str> = request
        .lines()
        .filter(|l| {
            ["via:", "from:", "to:", "call-id:", "cseq:"]
                .iter()
                .any(|h| l.to_ascii_lowercase().starts_with(h))
        })
        .collect();
    format!(
        "SIP/2.0 200 OK\r\n{}\r\n{headers}Content-Length: 0\r\n\r\n",
        keep.join("\r\n")
    )
}

impl Peer {
    /// Send `signal` (`STOP`, `CONT`, ...) to the peer's whole process group.
    #[allow(dead_code)]
    pub fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill")
                .args([&format!("-{signal}"), "--", &format!("-{}", child.id())])
                .status();
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        let end = Instant::now() + Duration::from_secs(2);
        while Instant::now() < end {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = child.wait();
    }
}

/// Wait until something answers on UDP `port` with a SIP response to an OPTIONS.
pub fn wait_for_sip_udp(peer: &mut Peer, port: u16) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let end = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 4096];
    let mut n = 0;
    while Instant::now() < end {
        peer.assert_running();
        n += 1;
        let local = sock.local_addr().unwrap();
        let msg = format!(
            "OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKwait{n}\r\nFrom: <sip:wait@127.0.0.1>;tag=w\r\nTo: <sip:127.0.0.1>\r\nCall-ID: wait-{n}-{port}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        );
        let _ = sock.send_to(msg.as_bytes(), ("127.0.0.1", port));
        if let Ok((len, _)) = sock.recv_from(&mut buf)
            && buf[..len].starts_with(b"SIP/2.0")
        {
            return;
        }
    }
    panic!(
        "{} does not answer on UDP {port}:\n{}",
        peer.name,
        peer.log_text()
    );
}

/// Wait until a TCP port accepts.
pub fn wait_for_tcp(peer: &mut Peer, port: u16) {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        peer.assert_running();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "{} does not listen on TCP {port}:\n{}",
        peer.name,
        peer.log_text()
    );
}

/// What a Kamailio instance does with REGISTER.
#[derive(Debug, Clone)]
pub struct KamailioConfig {
    /// The realm it challenges with.
    pub realm: String,
    /// The one password it accepts (for any user).
    pub password: String,
    /// `MD5`, `SHA-256`.
    pub algorithm: String,
    /// Answer REGISTER with 503 and Retry-After instead.
    pub busy: Option<u32>,
    /// Listen on TLS too, with this certificate and key (PEM files).
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Default for KamailioConfig {
    fn default() -> Self {
        KamailioConfig {
            realm: "sip.test".into(),
            password: "secret".into(),
            algorithm: "MD5".into(),
            busy: None,
            tls: None,
        }
    }
}

/// A started Kamailio and its ports (UDP and TCP on `port`, TLS on `tls_port`).
#[derive(Debug)]
pub struct Kamailio {
    pub peer: Peer,
    pub port: u16,
    pub tls_port: u16,
}

pub fn kamailio(cfg: &KamailioConfig) -> Option<Kamailio> {
    let bin = require("kamailio")?;
    let dir = scratch("kamailio");
    let port = free_port();
    let tls_port = free_port();
    let mut text = format!(
        r#"#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=2
tcp_children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
"#
    );
    if cfg.tls.is_some() {
        text.push_str(&format!(
            "enable_tls=yes\nlisten=tls:127.0.0.1:{tls_port}\n"
        ));
    }
    text.push_str(
        r#"mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "auth.so"
"#,
    );
    if let Some((cert, key)) = &cfg.tls {
        let tls_cfg = dir.path().join("tls.cfg");
        std::fs::write(
            &tls_cfg,
            format!(
                "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\nprivate_key = {}\ncertificate = {}\n\n[client:default]\nverify_certificate = no\nrequire_certificate = no\n",
                key.display(),
                cert.display()
            ),
        )
        .unwrap();
        text.push_str(&format!(
            "loadmodule \"tls.so\"\nmodparam(\"tls\", \"config\", \"{}\")\n",
            tls_cfg.display()
        ));
    }
    text.push_str(&format!(
        "modparam(\"auth\", \"algorithm\", \"{}\")\n",
        cfg.algorithm
    ));
    let register = match cfg.busy {
        Some(secs) => format!(
            "append_to_reply(\"Retry-After: {secs}\\r\\n\");\n    sl_send_reply(\"503\", \"Service Unavailable\");\n    exit;"
        ),
        None => format!(
            "if (!pv_auth_check(\"{realm}\", \"{pw}\", \"0\", \"1\")) {{\n      auth_challenge(\"{realm}\", \"1\");\n      exit;\n    }}\n    sl_send_reply(\"200\", \"OK\");\n    exit;",
            realm = cfg.realm,
            pw = cfg.password
        ),
    };
    text.push_str(&format!(
        r#"request_route {{
  if (is_method("OPTIONS")) {{ sl_send_reply("200", "OK"); exit; }}
  if (is_method("INVITE")) {{ xlog("L_ERR", "INVITE RECEIVED\n"); }}
  if (is_method("REGISTER")) {{
    xlog("L_INFO", "REGISTER RECEIVED contact=$hdr(Contact) user=$fU\n");
    {register}
  }}
  sl_send_reply("405", "Method Not Allowed");
}}
"#
    ));
    let path = dir.path().join("kamailio.cfg");
    std::fs::write(&path, text).unwrap();
    let pid = dir.path().join("kamailio.pid");
    let mut cmd = Command::new(bin);
    cmd.arg("-f")
        .arg(&path)
        .arg("-P")
        .arg(&pid)
        .args(["-E", "-DD", "-w"])
        .arg(dir.path());
    let mut peer = Peer::start("kamailio", &mut cmd, dir);
    wait_for_sip_udp(&mut peer, port);
    if cfg.tls.is_some() {
        wait_for_tcp(&mut peer, tls_port);
    }
    Some(Kamailio {
        peer,
        port,
        tls_port,
    })
}

/// A SIPp UAS running `scenario` (XML) on UDP `port`; every message is traced to a file.
#[derive(Debug)]
pub struct Sipp {
    pub peer: Peer,
    pub port: u16,
    pub messages: PathBuf,
}

impl Sipp {
    /// The requests SIPp received, by method.
    pub fn received(&self, method: &str) -> usize {
        let text = std::fs::read_to_string(&self.messages).unwrap_or_default();
        text.lines()
            .filter(|l| l.starts_with(&format!("{method} sip:")))
            .count()
    }
}

pub fn sipp(scenario: &str) -> Option<Sipp> {
    let bin = require("sipp")?;
    let dir = scratch("sipp");
    let port = free_port();
    let path = dir.path().join("uas.xml");
    std::fs::write(&path, scenario).unwrap();
    let messages = dir.path().join("messages.log");
    let mut cmd = Command::new(bin);
    cmd.arg("-sf")
        .arg(&path)
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "u1",
            "-nostdin",
            "-trace_msg",
            "-message_file",
        ])
        .arg(&messages)
        .current_dir(dir.path());
    let mut peer = Peer::start("sipp", &mut cmd, dir);
    // SIPp answers only what its scenario says: wait for its socket, not for an answer.
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        peer.assert_running();
        if UdpSocket::bind(("127.0.0.1", port)).is_err() {
            break;
        }
        assert!(
            Instant::now() < end,
            "sipp does not bind UDP {port}:\n{}",
            peer.log_text()
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    Some(Sipp {
        peer,
        port,
        messages,
    })
}

/// A dnsmasq answering for `*.test` with the given `--srv-host` / `--host-record` arguments
/// (and NXDOMAIN for any other name of the zone).
#[derive(Debug)]
pub struct Dns {
    pub peer: Peer,
    pub addr: SocketAddr,
}

pub fn dnsmasq(records: &[String]) -> Option<Dns> {
    dnsmasq_with(records, true)
}

/// [`dnsmasq`], with or without `--local=/test/`: without it, dnsmasq answers REFUSED (not
/// NXDOMAIN) for the names it does not hold.
pub fn dnsmasq_with(records: &[String], local_zone: bool) -> Option<Dns> {
    let bin = require("dnsmasq")?;
    let dir = scratch("dnsmasq");
    let port = free_port();
    let mut cmd = Command::new(bin);
    cmd.args([
        "-k",
        &format!("--port={port}"),
        "--listen-address=127.0.0.1",
        "--bind-interfaces",
        "--no-resolv",
        "--no-hosts",
        "--user=root",
        "--log-queries",
        "--log-facility=-",
    ])
    .args(local_zone.then_some("--local=/test/"))
    .arg(format!(
        "--pid-file={}",
        dir.path().join("dnsmasq.pid").display()
    ))
    .args(records);
    let mut peer = Peer::start("dnsmasq", &mut cmd, dir);
    wait_for_tcp(&mut peer, port);
    Some(Dns {
        peer,
        addr: ([127, 0, 0, 1], port).into(),
    })
}
