//! `validateCredential`: the JSON text path, the object path (the fields as arguments with
//! their kinds), and the one-number answer of a valid credential.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use zeroize::Zeroize;

use sipcreds::{CredentialInput, Error as CoreError};

use crate::boundary::{Body, guard};

/// Validate one credential body (JSON text) for `validateCredential`: on success the 11
/// normalized fields in their documented order, each after a NUL, with U+0001 for null (no field can
/// hold either character, the parser refuses control characters); on failure the error JSON
/// code, field (U+0001 for none) and message after U+0002 separators. `sipcreds.js` builds
/// the object or the error from the parts directly, several times cheaper than `JSON.parse`
/// of the same data.
#[napi]
pub fn check_credential_fields(body: String) -> Result<String> {
    let body = Body::new(body);
    guard(|| Ok(credential_fields(&body)))
}

/// [`check_credential_fields`] without JSON text: the 8 create fields of a plain object as
/// arguments in the wire order (name, server, authUser, authPassword, domain, transport,
/// cpsLimit, cpsKey), each `undefined` (absent), `null`, a boolean, a safe integer or a
/// well-formed string, and first their kinds, 3 bits a field from the lowest (see [`Kind`]):
/// only strings and numbers are read from their arguments (asking each argument its type cost
/// more than the rest of the crossing). Read in place by `CredentialInput::from_fields`, which
/// answers exactly as the JSON path would. The empty string when it cannot (an argument not of
/// its kind, a string longer than the scratch buffer): `sipcreds.js` then sends the JSON text.
///
/// A valid credential whose normalized fields are the given ones (or derived from them as
/// [`compact_reply`] says) is answered by one number instead of text: building and splitting
/// the text was a third of a validation's time in Node. Anything else answers the text of
/// [`check_credential_fields`].
///
/// The strings are copied into one thread-local buffer (no allocation, no separate length
/// pass), which is wiped before the call returns.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn check_credential_values(
    env: Env,
    kinds: u32,
    name: Unknown<'_>,
    server: Unknown<'_>,
    auth_user: Unknown<'_>,
    auth_password: Unknown<'_>,
    domain: Unknown<'_>,
    transport: Unknown<'_>,
    cps_limit: Unknown<'_>,
    cps_key: Unknown<'_>,
) -> Result<Either<u32, String>> {
    let values = [
        name,
        server,
        auth_user,
        auth_password,
        domain,
        transport,
        cps_limit,
        cps_key,
    ]
    .map(|v| v.raw());
    let answer = guard(|| {
        SCRATCH.with_borrow_mut(|scratch| {
            let (answer, used) = answer_values(env.raw(), kinds, &values, scratch);
            scratch[..used].zeroize();
            Ok(answer)
        })
    });
    if answer.is_err() {
        // A panic left the buffer as it was: wipe all of it.
        SCRATCH.with(|s| {
            if let Ok(mut s) = s.try_borrow_mut() {
                s.as_mut_slice().zeroize();
            }
        });
    }
    answer
}

/// The kinds of [`check_credential_values`]'s arguments (`sipcreds.js` reads them by these
/// names from `KIND_*`).
struct Kind;

impl Kind {
    const ABSENT: u32 = 0;
    const NULL: u32 = 1;
    const FALSE: u32 = 2;
    const TRUE: u32 = 3;
    const NUMBER: u32 = 4;
    const STRING: u32 = 5;
}

/// The kinds by name, for `sipcreds.js`: `{ absent, null, false, true, number, string }`.
#[napi]
pub fn argument_kinds() -> std::collections::HashMap<&'static str, u32> {
    [
        ("absent", Kind::ABSENT),
        ("null", Kind::NULL),
        ("false", Kind::FALSE),
        ("true", Kind::TRUE),
        ("number", Kind::NUMBER),
        ("string", Kind::STRING),
    ]
    .into()
}

/// Room for every string of one credential (a create body is at most 64 KiB of JSON).
const SCRATCH_BYTES: usize = sipcreds::MAX_BODY_BYTES;

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; SCRATCH_BYTES]);
}

/// The answer of [`check_credential_values`] for its argument values, their strings copied
/// into `scratch`; and how many bytes of `scratch` were written.
fn answer_values(
    env: napi::sys::napi_env,
    kinds: u32,
    values: &[napi::sys::napi_value; sipcreds::CREATE_FIELDS.len()],
    scratch: &mut [u8],
) -> (Either<u32, String>, usize) {
    use napi::sys;
    use sipcreds::FieldValue;
    let fallback = || Either::B(String::new());
    let mut fields = [("", FieldValue::Null); sipcreds::CREATE_FIELDS.len()];
    let mut given = 0;
    let mut used = 0;
    let mut rest: &mut [u8] = scratch;
    for (i, (key, &value)) in sipcreds::CREATE_FIELDS.iter().zip(values).enumerate() {
        let field = match (kinds >> (3 * i)) & 7 {
            Kind::ABSENT => continue,
            Kind::NULL => FieldValue::Null,
            Kind::FALSE => FieldValue::Bool(false),
            Kind::TRUE => FieldValue::Bool(true),
            Kind::NUMBER => {
                let mut n = 0f64;
                // SAFETY: `env` and `value` are this call's, and `n` outlives the call; napi
                // answers `napi_number_expected` for a value that is not a number.
                if unsafe { sys::napi_get_value_double(env, value, &mut n) } != sys::Status::napi_ok
                    || n.fract() != 0.0
                    || n.abs() > 9_007_199_254_740_991.0
                {
                    return (fallback(), used);
                }
                FieldValue::Int(n as i64)
            }
            Kind::STRING => {
                let mut copied = 0usize;
                // SAFETY: as above; the buffer is `rest`, whose length is passed, and napi
                // writes at most that many bytes (the text, then a NUL), or answers
                // `napi_string_expected` for a value that is not a string.
                let status = unsafe {
                    sys::napi_get_value_string_utf8(
                        env,
                        value,
                        rest.as_mut_ptr().cast(),
                        rest.len(),
                        &mut copied,
                    )
                };
                // A string that filled the buffer may have been cut: the JSON path then.
                if status != sys::Status::napi_ok || copied + 1 >= rest.len() {
                    return (fallback(), (used + copied + 1).min(SCRATCH_BYTES));
                }
                let (text, after) = std::mem::take(&mut rest).split_at_mut(copied + 1);
                rest = after;
                used += copied + 1;
                match std::str::from_utf8(&text[..copied]) {
                    Ok(text) => FieldValue::Str(text),
                    Err(_) => return (fallback(), used),
                }
            }
            _ => return (fallback(), used),
        };
        fields[given] = (*key, field);
        given += 1;
    }
    let given = &fields[..given];
    let answer = match CredentialInput::from_fields(given.iter().copied()) {
        Some(parsed) => match parsed.as_ref().ok().and_then(|i| compact_reply(given, i)) {
            Some(code) => Either::A(code),
            None => Either::B(fields_reply(parsed)),
        },
        None => fallback(),
    };
    (answer, used)
}

/// The bits of [`compact_reply`]'s number (`sipcreds.js` reads them by these names).
#[napi]
pub const COMPACT_HOST_SHIFT: u32 = 16;
#[napi]
pub const COMPACT_TRANSPORT_SHIFT: u32 = 25;
#[napi]
pub const COMPACT_HAS_PASSWORD: u32 = 1 << 27;
#[napi]
pub const COMPACT_SERVER_LOWERCASED: u32 = 1 << 28;
#[napi]
pub const COMPACT_DOMAIN_SHIFT: u32 = 29;
#[napi]
pub const COMPACT_REALM_IS_DOMAIN: u32 = 1 << 31;

/// A valid input's normalized fields as one number, when every text field of the answer is
/// a given value, its ASCII lowercase, or a prefix of the server: `port` in bits 0–15, the
/// host's length in 16–24 (`host` is that prefix of `server`), the transport's index in
/// [`transports`] in 25–26, then `hasPassword`, "server is the given one lowercased",
/// `domain` in 29–30 (0 none, 1 as given, 2 lowercased) and "realm is the domain (else the
/// host)". `name`, `authUser`, `cpsLimit` and `cpsKey` are then exactly the given values.
/// `None` when the answer needs its text (an IDN, an IPv6 address, anything else rewritten).
fn compact_reply(
    given: &[(&str, sipcreds::FieldValue<'_>)],
    input: &CredentialInput,
) -> Option<u32> {
    use sipcreds::FieldValue;
    let get = |key: &str| given.iter().find(|(k, _)| *k == key).map(|&(_, v)| v);
    let text = |key: &str| match get(key) {
        Some(FieldValue::Str(s)) => Some(s),
        _ => None,
    };
    // 0 when `out` is `given`, 1 when it is its ASCII lowercase (as JavaScript's
    // `toLowerCase` makes it of ASCII text).
    let same_or_lower = |out: &str, given: &str| {
        if out == given {
            Some(0)
        } else {
            (given.is_ascii()
                && out.len() == given.len()
                && out
                    .bytes()
                    .zip(given.bytes())
                    .all(|(o, g)| o == g.to_ascii_lowercase()))
            .then_some(1)
        }
    };
    let f = input.normalized_fields();
    let limit = match get("cpsLimit") {
        Some(FieldValue::Int(n)) => Some(n),
        _ => None,
    };
    if f.name != text("name")
        || f.auth_user != text("authUser")
        || f.cps_key != text("cpsKey")
        || f.cps_limit.map(i64::from) != limit
    {
        return None;
    }
    let server_lowercased = same_or_lower(&f.server, text("server")?)?;
    let host_len = u32::try_from(f.host.len()).ok().filter(|&n| n < 512)?;
    if !f.host.is_ascii() || !f.server.starts_with(&*f.host) {
        return None;
    }
    let domain = match (&f.domain, get("domain")) {
        (None, None | Some(FieldValue::Null)) => 0,
        (Some(out), Some(FieldValue::Str(given))) => 1 + same_or_lower(out, given)?,
        _ => return None,
    };
    let realm_is_domain = if f.realm == f.host {
        false
    } else if f.domain.as_deref() == Some(&*f.realm) {
        true
    } else {
        return None;
    };
    let mut code = u32::from(f.port)
        | host_len << COMPACT_HOST_SHIFT
        | (input.transport as u32) << COMPACT_TRANSPORT_SHIFT
        | domain << COMPACT_DOMAIN_SHIFT;
    if f.has_password {
        code |= COMPACT_HAS_PASSWORD;
    }
    if server_lowercased == 1 {
        code |= COMPACT_SERVER_LOWERCASED;
    }
    if realm_is_domain {
        code |= COMPACT_REALM_IS_DOMAIN;
    }
    Some(code)
}

/// The transports by their index in [`compact_reply`]'s number.
#[napi]
pub fn transports() -> Vec<&'static str> {
    sipcreds::Transport::ALL
        .iter()
        .map(|t| t.as_str())
        .collect()
}

fn credential_fields(body: &str) -> String {
    fields_reply(CredentialInput::from_json(body))
}

/// The answer of [`check_credential_fields`] and [`check_credential_values`].
fn fields_reply(parsed: std::result::Result<CredentialInput, CoreError>) -> String {
    let input = match parsed {
        Ok(input) => input,
        Err(e) => {
            return format!(
                "\u{2}{}\u{2}{}\u{2}{}",
                e.code().as_str(),
                e.field().unwrap_or("\u{1}"),
                e
            );
        }
    };
    let f = input.normalized_fields();
    let mut out = String::with_capacity(160);
    let mut put = |v: Option<&str>| {
        out.push('\0');
        out.push_str(v.unwrap_or("\u{1}"));
    };
    let mut port = itoa::Buffer::new();
    let port = port.format(f.port);
    let mut limit = itoa::Buffer::new();
    let limit = f.cps_limit.map(|l| limit.format(l));
    put(f.name);
    put(Some(&f.server));
    put(Some(&f.host));
    put(Some(port));
    put(Some(f.transport));
    put(f.auth_user);
    put(Some(if f.has_password { "1" } else { "0" }));
    put(f.domain.as_deref());
    put(Some(&f.realm));
    put(limit);
    put(f.cps_key);
    out
}
