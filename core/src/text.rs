//! Caller text made safe to show: escaped for terminals and logs, cut to a length, quoted
//! for messages, with any password in a userinfo masked.

use std::borrow::Cow;

/// Characters a terminal or a log reader may act on: C0 and C1 controls (ESC, CR, LF, CSI, ...),
/// the line and paragraph separators, and the bidirectional embeddings, overrides and isolates
/// (which reorder what a reader sees).
pub(crate) fn terminal_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A caller's text made safe to print as it is (§8): every [`terminal_unsafe`] character
/// escaped as `\uXXXX`, and the whole cut to at most `max` characters, ending in `…` when
/// cut (never inside an escape).
///
/// ```
/// assert_eq!(sipcreds::printable("a\u{1b}]0;x\u{7}\r\n", 64), "a\\u001b]0;x\\u0007\\u000d\\u000a");
/// assert_eq!(sipcreds::printable(&"k".repeat(100), 64).chars().count(), 64);
/// ```
pub fn printable(s: &str, max: usize) -> String {
    let pieces: Vec<std::borrow::Cow<'static, str>> = s
        .chars()
        .map(|c| {
            if terminal_unsafe(c) {
                format!("\\u{:04x}", c as u32).into()
            } else {
                String::from(c).into()
            }
        })
        .collect();
    let len = |p: &std::borrow::Cow<'_, str>| p.chars().count();
    if pieces.iter().map(len).sum::<usize>() <= max {
        return pieces.concat();
    }
    let mut out = String::new();
    let mut count = 0;
    for p in &pieces {
        if count + len(p) + 1 > max {
            break;
        }
        out.push_str(p);
        count += len(p);
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// Quote a user value for a message: JSON-style escaping, so control characters stay visible,
/// with the terminal-unsafe characters of [`printable`] escaped too (C1 controls
/// and bidirectional overrides, which JSON leaves as they are).
pub(crate) fn quote(s: &str) -> String {
    const MAX: usize = 80;
    // A value shaped like a userinfo (`user:password@host`) never shows its password, in
    // whichever field it was given (a SIP URI pasted into `authUser`, say).
    let s = &*mask_userinfo(s);
    let shown: String = if s.chars().count() > MAX {
        s.chars().take(MAX).chain("…".chars()).collect()
    } else {
        s.to_owned()
    };
    let json = serde_json::to_string(&shown).unwrap_or_else(|_| String::from("\"?\""));
    if json.chars().any(terminal_unsafe) {
        json.chars()
            .map(|c| {
                if terminal_unsafe(c) {
                    format!("\\u{:04x}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect()
    } else {
        json
    }
}

/// `s` with the password of a userinfo masked: everything between the first `:` after the
/// scheme and the last `@` becomes `***` (`sip:acme:pw@host` → `sip:acme:***@host`). The last
/// `@` is taken so that a password holding `@` (or `/`, `;`, `?`) is masked whole; text
/// without a `:` before its last `@` is returned as it is.
pub(crate) fn mask_userinfo(s: &str) -> Cow<'_, str> {
    let Some(at) = s.rfind('@') else {
        return Cow::Borrowed(s);
    };
    let lower = s.get(..at).unwrap_or("").to_ascii_lowercase();
    let start = if let Some(i) = lower.find("://") {
        i + 3
    } else {
        ["sips:", "sip:", "tel:"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map_or(0, |p| p.len())
    };
    match s[start..at].find(':') {
        Some(colon) => {
            let colon = start + colon;
            Cow::Owned(format!("{}:***{}", &s[..colon], &s[at..]))
        }
        None => Cow::Borrowed(s),
    }
}
