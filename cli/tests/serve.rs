//! `sipcreds serve` (SPEC §14) through the real binary on loopback, spoken to over plain TCP
//! (a small HTTP/1.1 client below, so a test controls every byte: slow heads, huge bodies,
//! cookies, the event stream).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use sipcreds_test_support::peers;

const KEY: &str = sipcreds_conformance::TEST_KEY;
const PASSWORD: &str = "Pw-Zq81-never-shown";

fn bin() -> PathBuf {
    sipcreds_conformance::cli_bin(env!("CARGO_BIN_EXE_sipcreds"))
}

/// The CLI in `dir` on its store.
fn cli(dir: &Path, db: &str, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .env("SIPCREDS_DB", db)
        .env("SIPCREDS_KEY", KEY)
        .env_remove("SIPCREDS_ORG")
        .env_remove("SIPCREDS_LIMITER")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A token of `org` with `role`, made by the CLI.
fn token(dir: &Path, db: &str, org: &str, role: &str) -> String {
    let out = cli(
        dir,
        db,
        &["--org", org, "--json", "tokens", "create", "--role", role],
    );
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["role"], role);
    assert_eq!(v["org"], org);
    v["token"].as_str().unwrap().to_owned()
}

/// A running `sipcreds serve`; killed on drop. Its standard error is kept in a file.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    dir: tempfile::TempDir,
    db: String,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, "api.db".into(), extra, &[])
    }

    fn start_in(
        dir: tempfile::TempDir,
        db: String,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let log = dir.path().join(format!("serve-{}.log", std::process::id()));
        let err = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(bin());
        cmd.current_dir(dir.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("SIPCREDS_DB", &db)
            .env("SIPCREDS_KEY", KEY)
            .env_remove("SIPCREDS_LIMITER")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let started = Instant::now();
        let addr = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(rest) = text
                .split("listening on http://")
                .nth(1)
                .or_else(|| text.split("listening on https://").nth(1))
            {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "serve did not start: {text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Server {
            child,
            addr,
            log,
            dir,
            db,
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn token(&self, org: &str, role: &str) -> String {
        token(self.dir.path(), &self.db, org, role)
    }

    fn req(&self, method: &str, path: &str, auth: Option<&str>, body: Option<&str>) -> Resp {
        let mut headers = Vec::new();
        let bearer;
        if let Some(t) = auth {
            bearer = format!("Bearer {t}");
            headers.push(("Authorization", bearer.as_str()));
        }
        request(self.addr, method, path, &headers, body)
    }
}

impl Server {
    /// Send the server a signal (`TERM`, `HUP`) with kill(1).
    fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -{name} {pid}");
    }

    /// POST `path` (a request that waits for a slot) with the bearer `token`, SIGTERM while it
    /// waits: its answer, and how the server exited.
    fn sigterm_while_waiting(
        &mut self,
        token: &str,
        path: String,
    ) -> (Resp, std::process::ExitStatus) {
        let (addr, auth) = (self.addr, format!("Bearer {token}"));
        let waiting = std::thread::spawn(move || {
            request(addr, "POST", &path, &[("Authorization", &auth)], None)
        });
        std::thread::sleep(Duration::from_millis(200));
        self.signal("TERM");
        let answer = waiting.join().unwrap();
        (answer, self.child.wait().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }

    /// The §14 error: status, code, and the body's shape (JSON, `field` absent or a string).
    fn error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.header("content-type"), Some("application/json"));
        let v = self.json();
        assert_eq!(v["error"]["code"], code, "{self:?}");
        let e = v["error"].as_object().unwrap();
        assert!(e.get("field").is_none_or(|f| f.is_string()), "{self:?}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
        v
    }
}

/// One request on a new connection (`Connection: close`), the whole answer read.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    if let Some(b) = body {
        let _ = s.write_all(b.as_bytes());
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse(&raw)
}

fn parse(raw: &[u8]) -> Resp {
    let text = String::from_utf8_lossy(raw);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        let mut out = String::new();
        let mut rest = rest;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 || tail.len() < n {
                break;
            }
            out.push_str(&tail[..n]);
            rest = tail[n..].trim_start_matches("\r\n");
        }
        out
    } else {
        rest.to_owned()
    };
    Resp {
        status,
        headers,
        body,
    }
}

fn trunk(name: &str) -> String {
    json!({
        "name": name,
        "server": "sip.example.com:5061",
        "transport": "tls",
        "authUser": "acme",
        "authPassword": PASSWORD,
        "cpsLimit": 5,
    })
    .to_string()
}

/// The seed's workflow over HTTP: add a credential, read it, page, link a number, delete
/// refused with the usage, forced delete unlinks; no password in any answer.
#[test]
fn the_seeds_workflow() {
    let s = Server::start(&[]);
    let w = s.token("acme", "write");
    let mut bodies = Vec::new();

    let created = s.req(
        "POST",
        "/v1/orgs/acme/credentials",
        Some(&w),
        Some(&trunk("Main")),
    );
    assert_eq!(created.status, 201, "{created:?}");
    let c = created.json();
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/v1/orgs/acme/credentials/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(c["hasPassword"], true);
    assert!(c.get("authPassword").is_none());
    bodies.push(created.body.clone());

    let got = s.req(
        "GET",
        &format!("/v1/orgs/acme/credentials/{id}"),
        Some(&w),
        None,
    );
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), c);
    assert_eq!(got.header("etag"), Some("\"1\""));

    for i in 0..3 {
        let r = s.req(
            "POST",
            "/v1/orgs/acme/credentials",
            Some(&w),
            Some(&trunk(&format!("T{i}"))),
        );
        assert_eq!(r.status, 201);
    }
    let p1 = s
        .req("GET", "/v1/orgs/acme/credentials?limit=3", Some(&w), None)
        .json();
    assert_eq!(p1["items"].as_array().unwrap().len(), 3);
    let next = p1["next"].as_str().unwrap();
    let p2 = s
        .req(
            "GET",
            &format!("/v1/orgs/acme/credentials?limit=3&after={next}"),
            Some(&w),
            None,
        )
        .json();
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    assert_eq!(p2["next"], Value::Null);
    bodies.push(p1.to_string());

    let linked = s.req(
        "PUT",
        "/v1/orgs/acme/numbers/+14155550100",
        Some(&w),
        Some(&json!({"credentialId": id}).to_string()),
    );
    assert_eq!(linked.status, 200, "{linked:?}");
    assert_eq!(
        linked.json(),
        json!({"number": "+14155550100", "credentialId": id})
    );
    let agent = s.req(
        "POST",
        "/v1/orgs/acme/agents",
        Some(&w),
        Some(r#"{"name":"Ann"}"#),
    );
    assert_eq!(agent.status, 201);
    let agent_id = agent.json()["id"].as_str().unwrap().to_owned();
    let assigned = s.req(
        "PUT",
        &format!("/v1/orgs/acme/agents/{agent_id}/numbers/+14155550100"),
        Some(&w),
        None,
    );
    assert_eq!(assigned.status, 200, "{assigned:?}");

    let usage = s
        .req(
            "GET",
            &format!("/v1/orgs/acme/credentials/{id}/usage"),
            Some(&w),
            None,
        )
        .json();
    assert_eq!(usage["phoneNumbers"], json!(["+14155550100"]));
    assert_eq!(usage["agents"][0]["name"], "Ann");

    let refused = s.req(
        "DELETE",
        &format!("/v1/orgs/acme/credentials/{id}"),
        Some(&w),
        None,
    );
    let e = refused.error(409, "in_use");
    assert_eq!(e["error"]["usage"], usage);
    let still = s.req(
        "GET",
        &format!("/v1/orgs/acme/credentials/{id}"),
        Some(&w),
        None,
    );
    assert_eq!(still.status, 200);

    let forced = s.req(
        "DELETE",
        &format!("/v1/orgs/acme/credentials/{id}?force=true"),
        Some(&w),
        None,
    );
    assert_eq!(forced.status, 200, "{forced:?}");
    assert_eq!(
        forced.json(),
        json!({"deleted": id, "unlinkedNumbers": ["+14155550100"]})
    );
    s.req(
        "GET",
        &format!("/v1/orgs/acme/credentials/{id}"),
        Some(&w),
        None,
    )
    .error(404, "not_found");
    let number = s.req("GET", "/v1/orgs/acme/numbers/+14155550100", Some(&w), None);
    assert_eq!(number.json()["credentialId"], Value::Null);

    let limits = s.req("GET", "/v1/orgs/acme/limits", Some(&w), None);
    assert_eq!(limits.status, 200);
    let lint = s.req("GET", "/v1/orgs/acme/lint", Some(&w), None);
    assert_eq!(lint.status, 200);
    let diag = s.req(
        "POST",
        "/v1/diagnose",
        Some(&w),
        Some(r#"{"symptom":"401"}"#),
    );
    assert_eq!(diag.status, 200);
    assert!(
        diag.json()["causes"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{diag:?}"
    );

    for b in &bodies {
        assert!(!b.contains(PASSWORD));
    }
    let log = s.log_text();
    assert!(!log.contains(PASSWORD) && !log.contains(&w), "{log}");
    assert!(
        log.contains("route=/v1/orgs/{org}/credentials/{id}"),
        "{log}"
    );
}

/// Every error status of §14 with its §8 body, and a failed request changes nothing.
#[test]
fn every_error_has_its_status_and_body() {
    let s = Server::start(&["--token-rate", "1000"]);
    let w = s.token("acme", "write");
    let r = s.token("acme", "read");
    let other = s.token("globex", "write");
    let creds = "/v1/orgs/acme/credentials";

    // 400: not one JSON object.
    for body in ["", "not json", "[1]", "42", "{\"server\": "] {
        s.req("POST", creds, Some(&w), Some(body))
            .error(400, "invalid_json");
    }
    // 422: a field, with the field; an option.
    let e = s
        .req(
            "POST",
            creds,
            Some(&w),
            Some(r#"{"server":"sip:x.example.com"}"#),
        )
        .error(422, "invalid_server");
    assert_eq!(e["error"]["field"], "server");
    let e = s
        .req(
            "POST",
            creds,
            Some(&w),
            Some(r#"{"server":"x.example.com","sever":1}"#),
        )
        .error(422, "unknown_field");
    assert_eq!(e["error"]["field"], "sever");
    for q in [
        "limit=abc",
        "limit=0",
        "limit=1001",
        "after=junk",
        "bogus=1",
    ] {
        s.req("GET", &format!("{creds}?{q}"), Some(&w), None)
            .error(422, "invalid_option");
    }
    // A path that does not decode: the §8 body too, never a plain-text rejection.
    s.req("GET", "/v1/orgs/acme/credentials/%FF%FE", Some(&w), None)
        .error(422, "invalid_option");
    // 413: refused from its Content-Length, before the body is read.
    let big = format!(
        r#"{{"server":"x.example.com","name":"{}"}}"#,
        "a".repeat(66 * 1024)
    );
    s.req("POST", creds, Some(&w), Some(&big))
        .error(413, "too_large");
    // 401 with WWW-Authenticate: none, a bad one, a mistyped one.
    let none = s.req("GET", creds, None, None);
    none.error(401, "unauthorized");
    assert!(
        none.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer")
    );
    s.req("GET", creds, Some("sct_nope"), None)
        .error(401, "unauthorized");
    let mut typo = w.clone();
    typo.pop();
    typo.push('!');
    s.req("GET", creds, Some(&typo), None)
        .error(401, "unauthorized");
    // 403: a read token writes.
    s.req("POST", creds, Some(&r), Some(&trunk("x")))
        .error(403, "forbidden");
    assert_eq!(s.req("GET", creds, Some(&r), None).status, 200);
    assert_eq!(
        s.req(
            "POST",
            "/v1/orgs/acme/credentials/validate",
            Some(&r),
            Some(&trunk("x"))
        )
        .status,
        200
    );
    // 404: another org's path (never 403), an unknown path with or without a token, a
    // wrong method.
    s.req("GET", creds, Some(&other), None)
        .error(404, "not_found");
    s.req("GET", "/v1/orgs/nosuch/credentials", Some(&other), None)
        .error(404, "not_found");
    s.req("GET", "/v1/nothing", Some(&w), None)
        .error(404, "not_found");
    s.req("GET", "/nothing", None, None).error(404, "not_found");
    s.req("PUT", creds, Some(&w), Some("{}"))
        .error(404, "not_found");
    // 409: read_only, conflict; 412: If-Match.
    let p = s.req(
        "POST",
        "/v1/orgs/acme/providers",
        Some(&w),
        Some(
            &json!({"kind":"twilio","name":"T","credentials":[{"server":"t.example.com"}]})
                .to_string(),
        ),
    );
    assert_eq!(p.status, 201, "{p:?}");
    let pid = p.json()["credentials"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.req(
        "PATCH",
        &format!("{creds}/{pid}"),
        Some(&w),
        Some(r#"{"cpsLimit":2}"#),
    )
    .error(409, "read_only");
    let c = s.req("POST", creds, Some(&w), Some(&trunk("c"))).json();
    let id = c["id"].as_str().unwrap();
    let path = format!("{creds}/{id}");
    let e = s
        .req(
            "PATCH",
            &path,
            Some(&w),
            Some(r#"{"cpsLimit":2,"expectedVersion":7}"#),
        )
        .error(409, "conflict");
    assert_eq!(
        (
            e["error"]["expectedVersion"].clone(),
            e["error"]["actualVersion"].clone()
        ),
        (json!(7), json!(1))
    );
    let stale = request(
        s.addr,
        "PATCH",
        &path,
        &[
            ("Authorization", &format!("Bearer {w}")),
            ("If-Match", "\"3\""),
        ],
        Some(r#"{"cpsLimit":2}"#),
    );
    stale.error(412, "conflict");
    let fresh = request(
        s.addr,
        "PATCH",
        &path,
        &[
            ("Authorization", &format!("Bearer {w}")),
            ("If-Match", "\"1\""),
        ],
        Some(r#"{"cpsLimit":2}"#),
    );
    assert_eq!(fresh.status, 200, "{fresh:?}");
    assert_eq!(fresh.header("etag"), Some("\"2\""));
    // Nothing changed by any failure above: the org has the two credentials made.
    let list = s.req("GET", creds, Some(&w), None).json();
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert_eq!(s.req("GET", &path, Some(&w), None).json()["cpsLimit"], 2);
    // A head over 16 KiB: 431.
    let huge = "x".repeat(20 * 1024);
    let r431 = request(s.addr, "GET", creds, &[("X-Pad", &huge)], None);
    assert_eq!(r431.status, 431, "{r431:?}");
}

/// 429 with Retry-After: a token over its rate; a second probe of a credential within 10 s.
#[test]
fn rates_answer_429_with_retry_after() {
    let s = Server::start(&["--token-rate", "2"]);
    let w = s.token("acme", "write");
    let statuses: Vec<u16> = (0..8)
        .map(|_| {
            s.req("GET", "/v1/orgs/acme/credentials", Some(&w), None)
                .status
        })
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    let limited = loop {
        let r = s.req("GET", "/v1/orgs/acme/credentials", Some(&w), None);
        if r.status == 429 {
            break r;
        }
    };
    let e = limited.error(429, "too_many_requests");
    assert!(
        e["error"]["retryAfterMs"]
            .as_u64()
            .is_some_and(|ms| ms > 0 && ms <= 1000)
    );
    assert!(limited.header("retry-after").is_some());
    // Another token is not limited by this one's rate.
    let other = s.token("acme", "read");
    assert_eq!(
        s.req("GET", "/v1/orgs/acme/credentials", Some(&other), None)
            .status,
        200
    );
}

/// Revoking a token (the CLI, on the same store) holds on the next request.
#[test]
fn a_revoked_token_fails_at_once() {
    let s = Server::start(&[]);
    let w = s.token("acme", "write");
    assert_eq!(s.req("GET", "/v1/session", Some(&w), None).status, 200);
    let listed = cli(
        s.dir.path(),
        &s.db,
        &["--org", "acme", "--json", "tokens", "list"],
    );
    let list: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let id = list[0]["id"].as_str().unwrap().to_owned();
    assert!(list[0]["lastUsedAt"].is_string(), "{list}");
    assert!(!String::from_utf8_lossy(&listed.stdout).contains(&w));
    let revoked = cli(
        s.dir.path(),
        &s.db,
        &["--org", "acme", "tokens", "revoke", &id],
    );
    assert!(revoked.status.success(), "{revoked:?}");
    refused_within_a_second(&s, &w);
}

/// The token is refused (401) by `s` within 1 s (§14: revocation on every instance).
fn refused_within_a_second(s: &Server, token: &str) {
    let t0 = Instant::now();
    loop {
        let r = s.req("GET", "/v1/session", Some(token), None);
        if r.status == 401 {
            r.error(401, "unauthorized");
            break;
        }
        assert_eq!(r.status, 200, "{r:?}");
        assert!(
            t0.elapsed() < Duration::from_secs(1),
            "still accepted after 1 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The dashboard's session: a cookie (HttpOnly, SameSite=Strict) from a token; a
/// state-changing request with it must carry the server's own Origin.
#[test]
fn the_session_cookie_and_its_origin_check() {
    let s = Server::start(&[]);
    let w = s.token("acme", "write");
    let signed = s.req(
        "POST",
        "/v1/session",
        None,
        Some(&json!({"token": w}).to_string()),
    );
    assert_eq!(signed.status, 200, "{signed:?}");
    assert_eq!(signed.json()["org"], "acme");
    assert_eq!(signed.json()["role"], "write");
    let set = signed.header("set-cookie").unwrap().to_owned();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!signed.body.contains(&w));
    let cookie = set.split(';').next().unwrap().to_owned();
    let who = request(s.addr, "GET", "/v1/session", &[("Cookie", &cookie)], None);
    assert_eq!(who.json()["org"], "acme");
    // Each visit renews the session's 12 hours (it ends after 12 h idle); a bearer caller
    // gets no cookie.
    let renewed = who.header("set-cookie").unwrap();
    assert!(
        renewed.contains("Max-Age=43200") && renewed.contains("HttpOnly"),
        "{renewed}"
    );
    let bearer = s.req("GET", "/v1/session", Some(&w), None);
    assert!(bearer.header("set-cookie").is_none());
    let no_origin = request(
        s.addr,
        "POST",
        "/v1/orgs/acme/agents",
        &[("Cookie", &cookie)],
        Some(r#"{"name":"x"}"#),
    );
    no_origin.error(403, "forbidden");
    let foreign = request(
        s.addr,
        "POST",
        "/v1/orgs/acme/agents",
        &[("Cookie", &cookie), ("Origin", "http://evil.example")],
        Some(r#"{"name":"x"}"#),
    );
    foreign.error(403, "forbidden");
    let own = format!("http://{}", s.addr);
    let ok = request(
        s.addr,
        "POST",
        "/v1/orgs/acme/agents",
        &[("Cookie", &cookie), ("Origin", &own)],
        Some(r#"{"name":"x"}"#),
    );
    assert_eq!(ok.status, 201, "{ok:?}");
    let out = request(
        s.addr,
        "DELETE",
        "/v1/session",
        &[("Cookie", &cookie), ("Origin", &own)],
        None,
    );
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    s.req(
        "POST",
        "/v1/session",
        None,
        Some(r#"{"token":"sct_wrong"}"#),
    )
    .error(401, "unauthorized");
}

/// An open event stream of `org`, its head and `ready` event read.
fn open_events(addr: SocketAddr, token: &str, org: &str) -> BufReader<TcpStream> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(
            format!("GET /v1/orgs/{org}/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    read_until(
        &mut reader,
        "event: ready",
        Instant::now() + Duration::from_secs(5),
    );
    reader
}

/// Lines of an event stream until one holds `needle` (the text read so far), failing at
/// `deadline`.
fn read_until(reader: &mut BufReader<TcpStream>, needle: &str, deadline: Instant) -> String {
    let mut seen = String::new();
    // Kept across timeouts: a line read in part is finished by the next read.
    let mut line = String::new();
    while !seen.contains(needle) {
        assert!(Instant::now() < deadline, "no {needle:?} in time: {seen}");
        match reader.read_line(&mut line) {
            Ok(0) => panic!("the stream ended: {seen}"),
            Ok(_) => {
                seen.push_str(&line);
                line.clear();
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("{e}: {seen}"),
        }
    }
    seen
}

/// The event stream: a change made by another client arrives within 2 s.
#[test]
fn the_event_stream_carries_changes() {
    let s = Server::start(&[]);
    let w = s.token("acme", "write");
    let r = s.token("acme", "read");
    let mut stream = TcpStream::connect(s.addr).unwrap();
    stream
        .write_all(
            format!(
                "GET /v1/orgs/acme/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {r}\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut seen = String::new();
    // The head and the `ready` event first.
    while !seen.contains("event: ready") {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "{seen}");
        seen.push_str(&line);
    }
    assert!(seen.contains("text/event-stream"), "{seen}");
    let made = Instant::now();
    let c = s
        .req(
            "POST",
            "/v1/orgs/acme/credentials",
            Some(&w),
            Some(&trunk("Live")),
        )
        .json();
    s.req(
        "PUT",
        "/v1/orgs/acme/numbers/+14155550111",
        Some(&w),
        Some(&json!({"credentialId": c["id"]}).to_string()),
    );
    while !(seen.contains("event: credential.created") && seen.contains("event: number.linked")) {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "{seen}");
        seen.push_str(&line);
        assert!(made.elapsed() < Duration::from_secs(2), "{seen}");
    }
    assert!(seen.contains(c["id"].as_str().unwrap()));
    assert!(!seen.contains(PASSWORD));
}

/// A client that sends its head slower than 10 s is cut off.
#[test]
fn a_slow_client_is_cut_off() {
    let s = Server::start(&[]);
    let mut stream = TcpStream::connect(s.addr).unwrap();
    stream
        .write_all(b"GET /v1/healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let t0 = Instant::now();
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf);
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(15),
        "{waited:?}"
    );
    // The server still answers others.
    assert_eq!(s.req("GET", "/v1/healthz", None, None).status, 200);
}

/// `/metrics` is Prometheus text with requests by route and status, and never a token.
#[test]
fn metrics_count_requests() {
    let s = Server::start(&[]);
    let w = s.token("acme", "write");
    s.req("GET", "/v1/orgs/acme/credentials?limit=5", Some(&w), None);
    s.req("GET", "/v1/orgs/acme/credentials", None, None);
    let m = s.req("GET", "/metrics", None, None);
    assert_eq!(m.status, 200);
    assert!(
        m.body.contains("sipcreds_http_requests_total")
            && m.body.contains("route=\"/v1/orgs/{org}/credentials\"")
            && m.body.contains("status=\"401\""),
        "{}",
        m.body
    );
    assert!(!m.body.contains(&w) && !m.body.contains("limit=5"));
}

/// SIGTERM with a request in flight: it finishes, then the server exits 0.
#[test]
fn sigterm_drains_requests_in_flight() {
    let mut s = Server::start(&[]);
    let w = s.token("acme", "write");
    let c = s
        .req(
            "POST",
            "/v1/orgs/acme/credentials",
            Some(&w),
            Some(r#"{"server":"x.example.com","cpsLimit":1}"#),
        )
        .json();
    let path = format!(
        "/v1/orgs/acme/credentials/{}/acquire",
        c["id"].as_str().unwrap()
    );
    assert_eq!(
        s.req("POST", &path, Some(&w), None).json()["admitted"],
        true
    );
    // The next slot is about a second away: this request waits for it.
    let (r, status) = s.sigterm_while_waiting(&w, format!("{path}?maxWaitMs=3000"));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["admitted"], true);
    assert!(status.success(), "{status:?}: {}", s.log_text());
}

/// Probes over HTTP against a real Kamailio: ok with the right password, auth_rejected with a
/// wrong one; a second probe within 10 s is 429.
#[test]
fn probes_reach_a_real_peer() {
    let Some(k) = peers::kamailio(&peers::KamailioConfig::default()) else {
        return;
    };
    let s = Server::start(&[]);
    let w = s.token("acme", "write");
    let make = |pw: &str| {
        let body = json!({"server": format!("127.0.0.1:{}", k.port), "authUser": "alice",
            "authPassword": pw, "domain": "sip.test"});
        s.req(
            "POST",
            "/v1/orgs/acme/credentials",
            Some(&w),
            Some(&body.to_string()),
        )
        .json()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let good = make("secret");
    let bad = make("wrong-password");
    let probe = |id: &str| {
        s.req(
            "POST",
            &format!("/v1/orgs/acme/credentials/{id}/probe"),
            Some(&w),
            Some(r#"{"timeout": 3}"#),
        )
    };
    let ok = probe(&good);
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(ok.json()["outcome"], "ok", "{ok:?}");
    let rejected = probe(&bad);
    assert_eq!(rejected.json()["outcome"], "auth_rejected", "{rejected:?}");
    assert!(!rejected.body.contains("wrong-password"));
    let again = probe(&good);
    again.error(429, "too_many_requests");
    // Options that would name a file or an address of the server's host are refused.
    s.req(
        "POST",
        &format!("/v1/orgs/acme/credentials/{bad}/probe"),
        Some(&w),
        Some(r#"{"caFile": "/etc/passwd"}"#),
    )
    .error(422, "unknown_field");
}

/// A fresh database on CI's PostgreSQL, and CI's Redis: `None` (and a note) without them,
/// a failure when `SIPCREDS_REQUIRE_SERVICES` is set.
fn postgres_and_redis() -> Option<(String, String)> {
    let (Ok(pg), Ok(redis)) = (
        std::env::var("SIPCREDS_TEST_POSTGRES_URL"),
        std::env::var("SIPCREDS_TEST_REDIS_URL"),
    ) else {
        assert!(
            std::env::var("SIPCREDS_REQUIRE_SERVICES").is_err(),
            "SIPCREDS_TEST_POSTGRES_URL / SIPCREDS_TEST_REDIS_URL are not set: scripts/ci/services.sh start"
        );
        eprintln!("skipped: no PostgreSQL and Redis");
        return None;
    };
    let name = format!(
        "sipcreds_serve_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let mut admin = postgres::Client::connect(&pg, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let (prefix, _) = pg.rsplit_once('/').unwrap();
    Some((format!("{prefix}/{name}"), redis))
}

/// Two `serve` instances on one PostgreSQL database and one Redis: a credential made on one
/// is read on the other; a revoked token fails on both within 1 s; CPS decisions through
/// either stay within the group's limit; SIGTERM of one with a request in flight loses it
/// not.
#[test]
fn two_instances_share_postgres_and_redis() {
    let Some((db, redis)) = postgres_and_redis() else {
        return;
    };
    let org = format!("two{}", std::process::id());
    let a = Server::start_in(
        tempfile::tempdir().unwrap(),
        db.clone(),
        &["--limiter", &redis, "--token-rate", "100000"],
        &[],
    );
    let mut b = Server::start_in(
        tempfile::tempdir().unwrap(),
        db.clone(),
        &["--limiter", &redis, "--token-rate", "100000"],
        &[],
    );
    let w = a.token(&org, "write");
    let creds = format!("/v1/orgs/{org}/credentials");
    let made = a.req(
        "POST",
        &creds,
        Some(&w),
        Some(r#"{"server":"x.example.com","cpsLimit":5}"#),
    );
    assert_eq!(made.status, 201, "{made:?}");
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let read = b.req("GET", &format!("{creds}/{id}"), Some(&w), None);
    assert_eq!(read.status, 200, "{read:?}");
    assert_eq!(read.json(), made.json());

    // An event stream on a sees what is done through b (PostgreSQL's NOTIFY) within 1 s.
    let mut events = open_events(a.addr, &w, &org);
    let linked = Instant::now();
    let put = b.req(
        "PUT",
        &format!("/v1/orgs/{org}/numbers/+14155550123"),
        Some(&w),
        Some(&json!({"credentialId": id}).to_string()),
    );
    assert_eq!(put.status, 200, "{put:?}");
    let seen = read_until(
        &mut events,
        "\"number\":\"+14155550123\"",
        linked + Duration::from_secs(1),
    );
    assert!(seen.contains("event: number.linked"), "{seen}");

    // CPS through both instances, from four clients for 3 s: at most 5 a second in all.
    // (A 503 here would be the limiter failing closed when Redis is unreachable.)
    let acquire = format!("{creds}/{id}/acquire");
    let started = Instant::now();
    let run = Duration::from_secs(3);
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let addr = if i % 2 == 0 { a.addr } else { b.addr };
            let (w, path) = (w.clone(), acquire.clone());
            std::thread::spawn(move || {
                let mut admitted = 0;
                while started.elapsed() < run {
                    let r = request(
                        addr,
                        "POST",
                        &path,
                        &[("Authorization", &format!("Bearer {w}"))],
                        None,
                    );
                    // 200 with a decision, or 503 `storage`: the limiter fails closed when a
                    // Redis round trip takes over its 250 ms timeout (CI's two cores run three
                    // servers and the clients); a refusal never admits.
                    if r.status == 503 {
                        r.error(503, "storage");
                    } else {
                        assert_eq!(r.status, 200, "{r:?}");
                        if r.json()["admitted"] == true {
                            admitted += 1;
                        }
                    }
                    // About 150 requests a second per client: 120 times the limit in all,
                    // without a new loopback connection per microsecond (the client closes
                    // each one; at full speed the ports run out).
                    std::thread::sleep(Duration::from_millis(5));
                }
                admitted
            })
        })
        .collect();
    let per_client: Vec<u32> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let total: u32 = per_client.iter().sum();
    assert!(
        (5..=20).contains(&total),
        "{total} admitted in 3 s at 5 CPS through two instances: {per_client:?}"
    );
    assert!(per_client[0] + per_client[2] > 0 && per_client[1] + per_client[3] > 0);

    // SIGTERM of b with a request waiting for a slot: it is answered, then b exits 0.
    let (r, status) = b.sigterm_while_waiting(&w, format!("{acquire}?maxWaitMs=5000"));
    assert_eq!(r.status, 200, "{r:?}");
    assert!(status.success(), "{}", b.log_text());

    // A token revoked (by the CLI, on the shared database) fails on the other instance too.
    let c = Server::start_in(
        tempfile::tempdir().unwrap(),
        db.clone(),
        &["--limiter", &redis],
        &[],
    );
    assert_eq!(c.req("GET", "/v1/session", Some(&w), None).status, 200);
    let listed = cli(
        a.dir.path(),
        &db,
        &["--org", &org, "--json", "tokens", "list"],
    );
    let tok: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let tid = tok[0]["id"].as_str().unwrap().to_owned();
    assert!(
        cli(
            a.dir.path(),
            &db,
            &["--org", &org, "tokens", "revoke", &tid]
        )
        .status
        .success()
    );
    for s in [&a, &c] {
        refused_within_a_second(s, &w);
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost (openssl): (cert, key) files.
fn self_signed(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args([
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        .output()
        .expect("openssl (scripts/ci/services.sh installs it)");
    assert!(out.status.success(), "{out:?}");
    (cert, key)
}

/// `curl` over HTTPS with `ca` as the only root: (exit code, HTTP version, body).
fn curl_https(addr: SocketAddr, ca: &Path) -> (i32, String, String) {
    let out = Command::new("curl")
        .args(["-sS", "--http2", "-w", "\n%{http_version}", "--cacert"])
        .arg(ca)
        .arg(format!("https://127.0.0.1:{}/v1/healthz", addr.port()))
        .output()
        .expect("curl (scripts/ci/services.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, version) = text.rsplit_once('\n').unwrap_or((&text, ""));
    (
        out.status.code().unwrap_or(-1),
        version.to_owned(),
        body.to_owned(),
    )
}

/// TLS from PEM files (HTTP/2 by ALPN), reloaded on SIGHUP: after a new pair is written and
/// SIGHUP sent, clients that trust only the new certificate connect and those that trust only
/// the old one no longer do.
#[test]
fn tls_is_served_and_reloaded_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let (first, first_key) = self_signed(dir.path(), "first");
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::copy(&first, &cert).unwrap();
    std::fs::copy(&first_key, &key).unwrap();
    let (second, second_key) = self_signed(dir.path(), "second");
    let s = Server::start_in(
        dir,
        "api.db".into(),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[],
    );
    let (code, version, body) = curl_https(s.addr, &first);
    assert_eq!((code, version.as_str()), (0, "2"), "{body}");
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    // Plain HTTP on the TLS port gets no answer.
    let plain = request(s.addr, "GET", "/v1/healthz", &[], None);
    assert_ne!(plain.status, 200);

    std::fs::copy(&second, &cert).unwrap();
    std::fs::copy(&second_key, &key).unwrap();
    s.signal("HUP");
    let t0 = Instant::now();
    loop {
        let (code, _, _) = curl_https(s.addr, &second);
        if code == 0 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "the new certificate is not served"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (code, _, _) = curl_https(s.addr, &first);
    assert_ne!(code, 0, "the old certificate is still served");
    assert!(
        s.log_text().contains("TLS certificate reloaded"),
        "{}",
        s.log_text()
    );
}

/// The monitor `serve` runs (§13, §14): a credential created is probed within 5 s and its
/// transition reaches the event stream; the health routes read and steer it; `/metrics`
/// counts the transitions.
#[test]
fn serve_runs_the_monitor() {
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = peer.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((n, from)) = peer.recv_from(&mut buf) {
            let text = String::from_utf8_lossy(&buf[..n]).into_owned();
            let reply = peers::ok_reply(&text);
            let _ = peer.send_to(reply.as_bytes(), from);
        }
    });
    let s = Server::start(&["--monitor-interval", "10"]);
    let w = s.token("acme", "write");
    let mut events = open_events(s.addr, &w, "acme");
    let body = format!(r#"{{"server": "127.0.0.1:{port}"}}"#);
    let made = s.req("POST", "/v1/orgs/acme/credentials", Some(&w), Some(&body));
    assert_eq!(made.status, 201, "{made:?}");
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let seen = read_until(
        &mut events,
        "\"to\":\"up\"",
        Instant::now() + Duration::from_secs(6),
    );
    assert!(seen.contains("event: health.transition"), "{seen}");
    let h = s.req(
        "GET",
        &format!("/v1/orgs/acme/credentials/{id}/health"),
        Some(&w),
        None,
    );
    assert_eq!(h.status, 200, "{h:?}");
    assert_eq!(h.json()["state"], "up");
    assert_eq!(h.json()["lastOutcome"], "reachable");
    let page = s.req("GET", "/v1/orgs/acme/health?limit=10", Some(&w), None);
    assert_eq!(
        page.json()["items"][0]["credentialId"],
        id.as_str(),
        "{page:?}"
    );
    let paused = s.req(
        "POST",
        &format!("/v1/orgs/acme/credentials/{id}/pause"),
        Some(&w),
        None,
    );
    assert_eq!(paused.status, 200, "{paused:?}");
    assert_eq!(paused.json()["state"], "paused");
    read_until(
        &mut events,
        "event: health.changed",
        Instant::now() + Duration::from_secs(3),
    );
    let ev = s.req(
        "GET",
        &format!("/v1/orgs/acme/credentials/{id}/health/events"),
        Some(&w),
        None,
    );
    let path: Vec<String> = ev
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(path, ["up", "paused"]);
    let r = s.token("acme", "read");
    s.req(
        "POST",
        &format!("/v1/orgs/acme/credentials/{id}/resume"),
        Some(&r),
        None,
    )
    .error(403, "forbidden");
    s.req(
        "GET",
        &format!("/v1/orgs/globex/credentials/{id}/health"),
        Some(&w),
        None,
    )
    .error(404, "not_found");
    // The records by state, refreshed within a second of a transition.
    std::thread::sleep(Duration::from_millis(1500));
    let metrics = s.req("GET", "/metrics", None, None);
    assert!(
        metrics
            .body
            .contains("sipcreds_health_credentials{state=\"up\"} 1")
            || metrics
                .body
                .contains("sipcreds_health_credentials{state=\"paused\"} 1"),
        "{}",
        metrics.body
    );
    assert!(
        metrics
            .body
            .contains("sipcreds_health_transitions_total{to=\"up\"} 1"),
        "{}",
        metrics.body
    );
}
