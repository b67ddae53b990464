//! Store and limiter locations (`--db`, `SIPCREDS_DB`, `path`, `limiter`): which kind of
//! store a location names, and how a location is shown with its secrets hidden.
//!
//! A location is one of:
//! - a URL (`postgres://…`, `redis://…`), told by its `scheme://`;
//! - a libpq connection string of `keyword=value` pairs (`host=db dbname=app`), told by a
//!   libpq keyword followed by `=` at its start or after a space ([`is_conninfo`]); it is
//!   PostgreSQL's, never a file name;
//! - anything else: a SQLite file path.

use crate::error::{Error, ErrorCode};
use crate::text::printable;

/// The scheme of a URL-like location (`POSTGRES://…` → `postgres`), lowercased: RFC 3986
/// schemes are case-insensitive. `None` for a location without `scheme://` (a file path).
///
/// ```
/// assert_eq!(sipcreds::location_scheme("Redis://h:6379").as_deref(), Some("redis"));
/// assert_eq!(sipcreds::location_scheme("data/x.db"), None);
/// ```
pub fn location_scheme(location: &str) -> Option<String> {
    let (scheme, _) = location.split_once("://")?;
    let mut chars = scheme.chars();
    (chars.next()?.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| scheme.to_ascii_lowercase())
}

/// The fragment of a URL location (the text after a `#` past its userinfo), which no store
/// reads: a `#` meant as part of a value must be written `%23`. `None` for a location without
/// a scheme, or a URL without a fragment.
///
/// ```
/// assert_eq!(sipcreds::location_fragment("rediss://h/?cafile=/ca.pem#x"), Some("x"));
/// assert_eq!(sipcreds::location_fragment("redis://:pa#ss@h/"), None);
/// assert_eq!(sipcreds::location_fragment("data/#1.db"), None);
/// ```
pub fn location_fragment(location: &str) -> Option<&str> {
    location_scheme(location)?;
    let (_, rest) = location.split_once("://")?;
    let after_userinfo = rest.rfind('@').map_or(rest, |at| &rest[at + 1..]);
    after_userinfo.split_once('#').map(|(_, fragment)| fragment)
}

/// libpq's connection keywords (PostgreSQL 17), the words of a `key=value` connection string.
pub const LIBPQ_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
];

/// Is `location` a libpq `key=value` connection string: no `scheme://`, and a libpq keyword
/// followed by `=` (spaces allowed around it) at its start or after a space? Such a location
/// is PostgreSQL's (or refused), never a SQLite file name: `host=db password=x` must not
/// become a file called that. A file whose name starts so is written `./host=x.db`.
///
/// ```
/// assert!(sipcreds::is_conninfo("host=db.internal dbname=app"));
/// assert!(sipcreds::is_conninfo("mydb password = s3cret"));
/// assert!(!sipcreds::is_conninfo("./host=x.db"));
/// assert!(!sipcreds::is_conninfo("postgres://h/db?password=x"));
/// assert!(!sipcreds::is_conninfo("data/sipcreds.db"));
/// ```
pub fn is_conninfo(location: &str) -> bool {
    if location_scheme(location).is_some() {
        return false;
    }
    let b = location.as_bytes();
    (0..b.len()).any(|i| {
        (i == 0 || b[i - 1].is_ascii_whitespace())
            && keyword_at(location, i).is_some_and(|(word, _)| LIBPQ_KEYWORDS.contains(&word))
    })
}

/// A word of `[A-Za-z0-9_]` at byte `i`, followed by optional spaces and `=`: the word and the
/// index just past the `=`.
fn keyword_at(s: &str, i: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    if j == i {
        return None;
    }
    let mut k = j;
    while k < b.len() && b[k].is_ascii_whitespace() {
        k += 1;
    }
    (k < b.len() && b[k] == b'=').then(|| (&s[i..j], k + 1))
}

/// A parsed libpq connection string. Its `Debug` shows the keywords only, never a value.
#[derive(Clone, PartialEq, Eq)]
pub struct Conninfo {
    pairs: Vec<(String, String)>,
}

impl std::fmt::Debug for Conninfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conninfo")
            .field(
                "keywords",
                &self.pairs.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn location_error(message: String) -> Error {
    Error::Invalid {
        code: ErrorCode::InvalidOption,
        field: Some("path".into()),
        message,
    }
}

impl Conninfo {
    /// Parse `keyword=value` pairs as libpq does: spaces around `=` allowed, a value quoted
    /// in single quotes may hold spaces, and a backslash escapes the next character. An
    /// unknown keyword, a keyword without `=` or an unterminated quote is `invalid_option`
    /// (field `path`), naming the keyword, never a value.
    pub fn parse(s: &str) -> Result<Conninfo, Error> {
        let b = s.as_bytes();
        let mut pairs = Vec::new();
        let mut i = 0;
        loop {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i == b.len() {
                break;
            }
            let Some((word, after)) = keyword_at(s, i) else {
                let end = s[i..]
                    .find(|c: char| c.is_ascii_whitespace() || c == '=')
                    .map_or(s.len(), |n| i + n);
                return Err(location_error(format!(
                    "the PostgreSQL connection string has {:?} where a keyword=value pair belongs: write keyword=value pairs separated by spaces (host=… dbname=… user=…), or a postgres:// URL",
                    printable(&s[i..end], 32)
                )));
            };
            if !LIBPQ_KEYWORDS.contains(&word) {
                return Err(location_error(format!(
                    "the PostgreSQL connection string has an unknown keyword {:?}: libpq's keywords are host, port, dbname, user, password, sslmode, sslrootcert, … (or use a postgres:// URL)",
                    printable(word, 32)
                )));
            }
            i = after;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let mut value = String::new();
            if i < b.len() && b[i] == b'\'' {
                i += 1;
                let mut closed = false;
                let mut chars = s[i..].char_indices();
                while let Some((n, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, next)) = chars.next() {
                                value.push(next);
                            }
                        }
                        '\'' => {
                            i += n + 1;
                            closed = true;
                            break;
                        }
                        c => value.push(c),
                    }
                }
                if !closed {
                    return Err(location_error(format!(
                        "the PostgreSQL connection string's value of {word} has no closing quote (')"
                    )));
                }
            } else {
                let mut chars = s[i..].char_indices();
                let mut end = s.len();
                while let Some((n, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, next)) = chars.next() {
                                value.push(next);
                            }
                        }
                        c if c.is_ascii_whitespace() => {
                            end = i + n;
                            break;
                        }
                        c => value.push(c),
                    }
                }
                i = end;
            }
            pairs.push((word.to_owned(), value));
        }
        if pairs.is_empty() {
            return Err(location_error(
                "the PostgreSQL connection string is empty".into(),
            ));
        }
        Ok(Conninfo { pairs })
    }

    /// The value of `keyword` (the last one written, as libpq takes it).
    pub fn get(&self, keyword: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == keyword)
            .map(|(_, v)| v.as_str())
    }

    /// The pairs in their order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Back to a connection string, every value quoted as libpq reads it.
    pub fn to_conninfo_string(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.pairs {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(k);
            out.push('=');
            out.push_str(&Conninfo::value_text(v, true));
        }
        out
    }

    /// A value as libpq reads it: `quoted` (`'...'`, a quote or backslash in it escaped with a
    /// backslash), or bare (a space escaped too).
    pub fn value_text(value: &str, quoted: bool) -> String {
        let mut out = String::with_capacity(value.len() + 2);
        if quoted {
            out.push('\'');
        }
        for c in value.chars() {
            if c == '\\' || c == '\'' || (!quoted && c == ' ') {
                out.push('\\');
            }
            out.push(c);
        }
        if quoted {
            out.push('\'');
        }
        out
    }

    /// Without the pairs of these keywords.
    pub fn without(&self, keywords: &[&str]) -> Conninfo {
        Conninfo {
            pairs: self
                .pairs
                .iter()
                .filter(|(k, _)| !keywords.contains(&k.as_str()))
                .cloned()
                .collect(),
        }
    }
}

/// Is this parameter name one that carries a secret (`password`, `sslpassword`, `passwd`,
/// `pwd`, `secret`, `token`, in any case and percent-encoding)?
fn secret_parameter(name: &str) -> bool {
    let decoded: String = url::form_urlencoded::parse(name.as_bytes())
        .next()
        .map(|(k, _)| k.to_ascii_lowercase())
        .unwrap_or_default();
    ["pass", "pwd", "secret", "token"]
        .iter()
        .any(|w| decoded.contains(w))
}

/// Mask the values of secret parameters in `s`. A parameter starts the text or follows `?`,
/// `&`, `;` or a space. In a URL (`url`) a value runs to the next `&`; in other text (a libpq
/// connection string) spaces may surround the `=`, and a value is a single-quoted string (to
/// its closing quote) or runs to the next space, a backslash escaping the next character.
fn mask_parameters(s: &str, url: bool) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let starts =
            i == 0 || matches!(b[i - 1], b'?' | b'&' | b';') || b[i - 1].is_ascii_whitespace();
        if !starts {
            i += 1;
            continue;
        }
        // The name runs to `=` (in a URL the name may hold `%` escapes).
        let name_end = s[i..]
            .find(|c: char| matches!(c, '=' | '&' | '?' | ';') || c.is_ascii_whitespace())
            .map_or(b.len(), |n| i + n);
        let mut eq = name_end;
        if !url {
            while eq < b.len() && b[eq].is_ascii_whitespace() {
                eq += 1;
            }
        }
        if name_end == i || eq >= b.len() || b[eq] != b'=' || !secret_parameter(&s[i..name_end]) {
            i += 1;
            continue;
        }
        let mut v = eq + 1;
        if !url {
            while v < b.len() && b[v].is_ascii_whitespace() {
                v += 1;
            }
        }
        let end = if url {
            s[v..].find('&').map_or(b.len(), |n| v + n)
        } else {
            value_end(b, v)
        };
        out.push_str(&s[copied..v]);
        out.push_str("***");
        copied = end;
        i = end.max(i + 1);
    }
    out.push_str(&s[copied..]);
    out
}

/// Where a libpq value starting at `v` ends (past its closing quote, or at a space).
fn value_end(b: &[u8], v: usize) -> usize {
    let quoted = v < b.len() && b[v] == b'\'';
    let mut j = if quoted { v + 1 } else { v };
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'\'' if quoted => return j + 1,
            c if !quoted && c.is_ascii_whitespace() => return j,
            _ => j += 1,
        }
    }
    b.len()
}

/// A store or limiter location with its secrets hidden, for messages, `repr`s and logs:
/// `postgres://app:s3cret@db/x` → `postgres://app:***@db/x`.
///
/// The rule is deliberately wider than a URL parser's, so that no spelling slips through:
/// the scheme is matched in any case; everything before the *last* `@` after `scheme://` is
/// the userinfo (a password holding `/`, `?`, `#` or `@` is masked whole, where a parser would
/// end the authority early and show the rest); the values of secret query parameters
/// (`password=`, `sslpassword=`, `token=`, ...) are masked too; and in a libpq connection
/// string, `password = 'with spaces'` is masked whole, quotes and all.
/// Anything else (a file path) is returned as it is.
///
/// ```
/// use sipcreds::redact_location as r;
/// assert_eq!(r("redis://:pw@h:6379/0"), "redis://:***@h:6379/0");
/// assert_eq!(r("postgres://u@h/db"), "postgres://u@h/db");
/// assert_eq!(r("POSTGRES://app:pa/ss@host/db"), "POSTGRES://app:***@host/db");
/// assert_eq!(r("postgres://h/db?user=u&password=pw"), "postgres://h/db?user=u&password=***");
/// assert_eq!(r("host=h password='a b' dbname=d"), "host=h password=*** dbname=d");
/// assert_eq!(r("data/sipcreds.db"), "data/sipcreds.db");
/// ```
pub fn redact_location(location: &str) -> String {
    match location_scheme(location) {
        Some(_) => {
            let (scheme, rest) = location.split_once("://").unwrap_or(("", location));
            let masked = match rest.rfind('@') {
                Some(at) => match rest[..at].split_once(':') {
                    Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
                    None => location.to_owned(),
                },
                None => location.to_owned(),
            };
            mask_parameters(&masked, true)
        }
        // No scheme: a libpq string, a path, or a mistyped URL (`redis:/…`, a bare
        // `user:password@host`): secret keywords first, then the userinfo rule from the first
        // `:` to the last `@`, so a URL taken for a path is never shown whole.
        None => {
            let masked = mask_parameters(location, false);
            match (masked.find(':'), masked.rfind('@')) {
                (Some(colon), Some(at)) if colon < at => {
                    format!("{}:***{}", &masked[..colon], &masked[at..])
                }
                _ => masked,
            }
        }
    }
}

#[cfg(test)]
mod tests;
