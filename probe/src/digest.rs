//! SIP digest authentication, RFC 7616 (HTTP) as RFC 8760 applies it to SIP: MD5, SHA-256
//! and SHA-512-256, each also `-sess`; `qop=auth` and `auth-int` (the probe's bodies are
//! empty), RFC 2069 compatibility (no qop), `userhash`.
//!
//! The password is fed to the hash in pieces and never copied into a string; every hex
//! intermediate is zeroized when dropped.

use std::fmt::Write as _;

use md5::Md5;
use sha2::{Sha256, Sha512_256};
use zeroize::Zeroizing;

use crate::message::Challenge;

/// A digest algorithm of RFC 7616 §6.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// MD5 (RFC 2617; still what most SIP servers send).
    Md5,
    /// SHA-256.
    Sha256,
    /// SHA-512/256.
    Sha512_256,
}

impl Algorithm {
    /// Parse an `algorithm` token: `(algorithm, sess)`, or `None` for one the probe does not
    /// speak (AKA, or a typo).
    pub fn parse(token: &str) -> Option<(Algorithm, bool)> {
        let t = token.trim().to_ascii_uppercase();
        let (base, sess) = match t.strip_suffix("-SESS") {
            Some(b) => (b.to_owned(), true),
            None => (t, false),
        };
        let alg = match base.as_str() {
            "MD5" => Algorithm::Md5,
            "SHA-256" => Algorithm::Sha256,
            "SHA-512-256" => Algorithm::Sha512_256,
            _ => return None,
        };
        Some((alg, sess))
    }

    /// The token as RFC 7616 spells it.
    pub fn token(self, sess: bool) -> &'static str {
        match (self, sess) {
            (Algorithm::Md5, false) => "MD5",
            (Algorithm::Md5, true) => "MD5-sess",
            (Algorithm::Sha256, false) => "SHA-256",
            (Algorithm::Sha256, true) => "SHA-256-sess",
            (Algorithm::Sha512_256, false) => "SHA-512-256",
            (Algorithm::Sha512_256, true) => "SHA-512-256-sess",
        }
    }

    /// The lowercase hex hash of the parts, joined by nothing (the caller puts the colons in).
    pub fn hash(self, parts: &[&[u8]]) -> Zeroizing<String> {
        fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Zeroizing<String> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            let out = d.finalize();
            let mut s = Zeroizing::new(String::with_capacity(out.len() * 2));
            for b in out.iter() {
                let _ = write!(s, "{b:02x}");
            }
            s
        }
        match self {
            Algorithm::Md5 => run::<Md5>(parts),
            Algorithm::Sha256 => run::<Sha256>(parts),
            Algorithm::Sha512_256 => run::<Sha512_256>(parts),
        }
    }
}

/// The qop the answer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qop {
    /// No qop: RFC 2069 compatibility.
    None,
    /// `auth`.
    Auth,
    /// `auth-int` (integrity of the body; the probe's bodies are empty).
    AuthInt,
}

impl Qop {
    /// Choose from the options offered: `auth` when offered, else `auth-int`, else none.
    /// `Err` when only unknown options are offered.
    pub fn choose(offered: &[String]) -> Result<Qop, String> {
        if offered.is_empty() {
            return Ok(Qop::None);
        }
        if offered.iter().any(|q| q.eq_ignore_ascii_case("auth")) {
            Ok(Qop::Auth)
        } else if offered.iter().any(|q| q.eq_ignore_ascii_case("auth-int")) {
            Ok(Qop::AuthInt)
        } else {
            Err(offered.join(","))
        }
    }

    /// The token, if any.
    pub fn token(self) -> Option<&'static str> {
        match self {
            Qop::None => None,
            Qop::Auth => Some("auth"),
            Qop::AuthInt => Some("auth-int"),
        }
    }
}

/// The inputs of one digest response.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// The user name.
    pub username: &'a str,
    /// The realm (the challenge's).
    pub realm: &'a str,
    /// The password.
    pub password: &'a str,
    /// The request method.
    pub method: &'a str,
    /// The `uri`: exactly the Request-URI.
    pub uri: &'a str,
    /// The server's nonce.
    pub nonce: &'a str,
    /// Our cnonce.
    pub cnonce: &'a str,
    /// The nonce count.
    pub nc: u32,
    /// The qop.
    pub qop: Qop,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// `-sess`.
    pub sess: bool,
    /// The body (empty for the probe's requests; `auth-int` hashes it).
    pub body: &'a [u8],
}

impl std::fmt::Debug for Inputs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inputs")
            .field("username", &self.username)
            .field("realm", &self.realm)
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// `nc` as 8 hex digits.
pub fn nc_hex(nc: u32) -> String {
    format!("{nc:08x}")
}

/// The `response` value of RFC 7616 §3.4.1.
pub fn response(i: &Inputs<'_>) -> Zeroizing<String> {
    let a = i.algorithm;
    let mut ha1 = a.hash(&[
        i.username.as_bytes(),
        b":",
        i.realm.as_bytes(),
        b":",
        i.password.as_bytes(),
    ]);
    if i.sess {
        ha1 = a.hash(&[
            ha1.as_bytes(),
            b":",
            i.nonce.as_bytes(),
            b":",
            i.cnonce.as_bytes(),
        ]);
    }
    let ha2 = match i.qop {
        Qop::AuthInt => {
            let body = a.hash(&[i.body]);
            a.hash(&[
                i.method.as_bytes(),
                b":",
                i.uri.as_bytes(),
                b":",
                body.as_bytes(),
            ])
        }
        _ => a.hash(&[i.method.as_bytes(), b":", i.uri.as_bytes()]),
    };
    match i.qop.token() {
        None => a.hash(&[
            ha1.as_bytes(),
            b":",
            i.nonce.as_bytes(),
            b":",
            ha2.as_bytes(),
        ]),
        Some(qop) => {
            let nc = nc_hex(i.nc);
            a.hash(&[
                ha1.as_bytes(),
                b":",
                i.nonce.as_bytes(),
                b":",
                nc.as_bytes(),
                b":",
                i.cnonce.as_bytes(),
                b":",
                qop.as_bytes(),
                b":",
                ha2.as_bytes(),
            ])
        }
    }
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Why a challenge cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unanswerable {
    /// An algorithm the probe does not speak (AKA, ...).
    Algorithm(String),
    /// Only qop options the probe does not speak.
    Qop(String),
}

impl std::fmt::Display for Unanswerable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unanswerable::Algorithm(a) => write!(f, "the digest algorithm {a:?} is not supported"),
            Unanswerable::Qop(q) => write!(f, "the qop {q:?} is not supported"),
        }
    }
}

/// The header value (`Digest username=..., ...`) answering `challenge` for `method uri`.
pub fn authorization(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
    nc: u32,
) -> Result<Zeroizing<String>, Unanswerable> {
    let (algorithm, sess) = Algorithm::parse(&challenge.algorithm)
        .ok_or_else(|| Unanswerable::Algorithm(challenge.algorithm.clone()))?;
    let qop = Qop::choose(&challenge.qop).map_err(Unanswerable::Qop)?;
    let inputs = Inputs {
        username,
        realm: &challenge.realm,
        password,
        method,
        uri,
        nonce: &challenge.nonce,
        cnonce,
        nc,
        qop,
        algorithm,
        sess,
        body: b"",
    };
    let resp = response(&inputs);
    let user = if challenge.userhash {
        algorithm
            .hash(&[username.as_bytes(), b":", challenge.realm.as_bytes()])
            .to_string()
    } else {
        username.to_owned()
    };
    let mut h = Zeroizing::new(String::with_capacity(256));
    let _ = write!(
        h,
        "Digest username={}, realm={}, nonce={}, uri={}, response=\"{}\", algorithm={}",
        quoted(&user),
        quoted(&challenge.realm),
        quoted(&challenge.nonce),
        quoted(uri),
        resp.as_str(),
        algorithm.token(sess),
    );
    if let Some(opaque) = &challenge.opaque {
        let _ = write!(h, ", opaque={}", quoted(opaque));
    }
    if let Some(q) = qop.token() {
        let _ = write!(h, ", qop={q}, nc={}, cnonce={}", nc_hex(nc), quoted(cnonce));
    } else if sess {
        // -sess needs the cnonce even without qop.
        let _ = write!(h, ", cnonce={}", quoted(cnonce));
    }
    if challenge.userhash {
        h.push_str(", userhash=true");
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
    fn rfc7616(algorithm: Algorithm) -> String {
        response(&Inputs {
            username: "Mufasa",
            realm: "http-auth@example.org",
            password: "Circle of Life",
            method: "GET",
            uri: "/dir/index.html",
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            nc: 1,
            qop: Qop::Auth,
            algorithm,
            sess: false,
            body: b"",
        })
        .to_string()
    }

    #[test]
    fn the_rfc_7616_examples() {
        assert_eq!(rfc7616(Algorithm::Md5), "8ca523f5e9506fed4657c9700eebdbec");
        assert_eq!(
            rfc7616(Algorithm::Sha256),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn the_rfc_2617_example() {
        // RFC 2617 §3.5.
        let r = response(&Inputs {
            username: "Mufasa",
            realm: "testrealm@host.com",
            password: "Circle Of Life",
            method: "GET",
            uri: "/dir/index.html",
            nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            cnonce: "0a4f113b",
            nc: 1,
            qop: Qop::Auth,
            algorithm: Algorithm::Md5,
            sess: false,
            body: b"",
        });
        assert_eq!(r.as_str(), "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn algorithm_tokens() {
        assert_eq!(Algorithm::parse("md5"), Some((Algorithm::Md5, false)));
        assert_eq!(
            Algorithm::parse("SHA-512-256-sess"),
            Some((Algorithm::Sha512_256, true))
        );
        assert_eq!(Algorithm::parse("AKAv1-MD5"), None);
        assert_eq!(
            Qop::choose(&["auth-int".into(), "auth".into()]),
            Ok(Qop::Auth)
        );
        assert!(Qop::choose(&["x".into()]).is_err());
    }

    #[test]
    fn the_header_holds_no_password() {
        let ch = Challenge {
            proxy: false,
            realm: "example.com".into(),
            nonce: "abc".into(),
            opaque: Some("op".into()),
            algorithm: "SHA-256".into(),
            qop: vec!["auth".into()],
            stale: false,
            userhash: false,
        };
        let h = authorization(
            &ch,
            "alice",
            "hunter2",
            "REGISTER",
            "sip:example.com",
            "cn",
            1,
        )
        .unwrap();
        assert!(!h.contains("hunter2"));
        assert!(h.contains("uri=\"sip:example.com\""));
        assert!(h.contains("algorithm=SHA-256"));
        assert!(h.contains("qop=auth, nc=00000001, cnonce=\"cn\""));
        assert!(h.contains("opaque=\"op\""));
    }
}
