//! The field readers shared by the input and the patch: each field's type check and parse,
//! the unknown-field check, and the auth pair.

use std::borrow::Cow;

use crate::Domain;
use crate::error::{Error, ErrorCode};
use crate::host::ServerAddress;
use crate::values::{AuthUser, CpsKey, CpsLimit, Name, Password, Transport};
use crate::wire::{self, Raw, RawObject};

use super::Auth;

pub(super) fn type_error(
    code: ErrorCode,
    field: &'static str,
    raw: &Raw<'_>,
    expected: &str,
) -> Error {
    Error::invalid(
        code,
        field,
        format!("{field} must be {expected}, not {}", raw.type_name()),
    )
}

pub(super) fn cps_limit(raw: Option<Raw<'_>>) -> Result<Change<CpsLimit>, Error> {
    const F: &str = wire::FIELDS[wire::CPS_LIMIT];
    match raw {
        None => Ok(Change::Keep),
        Some(Raw::Null) => Ok(Change::Clear),
        Some(Raw::Int(n)) => CpsLimit::new(n).map(Change::Set),
        Some(Raw::BigUint) => Err(Error::invalid(
            wire::FIELD_CODES[wire::CPS_LIMIT],
            F,
            "cpsLimit is out of range; use a whole number from 1 to 10000",
        )),
        Some(other) => Err(type_error(
            wire::FIELD_CODES[wire::CPS_LIMIT],
            F,
            &other,
            "a whole number from 1 to 10000",
        )),
    }
}

/// A field of a patch: leave it, clear it (`null`), or set it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Change<T> {
    /// Absent from the patch.
    #[default]
    Keep,
    /// `null` in the patch.
    Clear,
    /// A new value.
    Set(T),
}

impl<T> Change<T> {
    pub(super) fn into_option(self) -> Option<T> {
        match self {
            Change::Set(v) => Some(v),
            _ => None,
        }
    }

    /// Apply to the current value.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Change::Keep => current,
            Change::Clear => None,
            Change::Set(v) => Some(v),
        }
    }
}

pub(super) fn incomplete(missing: &'static str, present: &'static str) -> Error {
    Error::invalid(
        ErrorCode::IncompleteAuth,
        missing,
        format!(
            "{present} is set but {missing} is not: give both, or neither for IP authentication"
        ),
    )
}

/// The typed fields of a body, shared by create and update.
pub(super) struct Fields {
    pub(super) name: Change<Name>,
    pub(super) server: Change<ServerAddress>,
    pub(super) auth_user: Change<AuthUser>,
    pub(super) auth_password: Change<Password>,
    pub(super) domain: Change<Domain>,
    pub(super) transport: Change<Transport>,
    pub(super) cps_limit: Change<CpsLimit>,
    pub(super) cps_key: Change<CpsKey>,
}

impl Fields {
    /// Parse every field of `obj`. Each is written where it lies (a field's result is the
    /// size of an `Error`, and moving eight of them through returns was a fifth of the time).
    pub(super) fn parse(obj: &mut RawObject<'_>) -> Result<Fields, Error> {
        let mut f = Fields {
            name: Change::Keep,
            server: Change::Keep,
            auth_user: Change::Keep,
            auth_password: Change::Keep,
            domain: Change::Keep,
            transport: Change::Keep,
            cps_limit: Change::Keep,
            cps_key: Change::Keep,
        };
        f.fill(obj)?;
        Ok(f)
    }

    fn fill(&mut self, obj: &mut RawObject<'_>) -> Result<(), Error> {
        str_into(&mut self.name, obj, wire::NAME, Name::parse)?;
        str_into(&mut self.server, obj, wire::SERVER, |s| s.parse())?;
        refuse_null(&self.server, wire::SERVER, "every credential has a server")?;
        str_into(&mut self.auth_user, obj, wire::AUTH_USER, AuthUser::parse)?;
        str_into(
            &mut self.auth_password,
            obj,
            wire::AUTH_PASSWORD,
            Password::parse,
        )?;
        str_into(&mut self.domain, obj, wire::DOMAIN, |s| s.parse())?;
        str_into(&mut self.transport, obj, wire::TRANSPORT, Transport::parse)?;
        refuse_null(
            &self.transport,
            wire::TRANSPORT,
            "use \"udp\", \"tcp\" or \"tls\" (udp is the default)",
        )?;
        self.cps_limit = cps_limit(obj.take(wire::CPS_LIMIT))?;
        str_into(&mut self.cps_key, obj, wire::CPS_KEY, CpsKey::parse)
    }
}

/// The string-typed field at `position` of the wire table, written into `out`: `null` clears,
/// absence keeps; a value of another type is refused with the field's code.
#[inline(always)]
fn str_into<T>(
    out: &mut Change<T>,
    obj: &mut RawObject<'_>,
    position: usize,
    parse: impl FnOnce(&str) -> Result<T, Error>,
) -> Result<(), Error> {
    match obj.take(position) {
        None => {}
        Some(Raw::Null) => *out = Change::Clear,
        Some(Raw::Str(s)) => {
            let parsed = parse(&s);
            // An owned copy (the value had escapes) may be a password: wipe it.
            if let Cow::Owned(copy) = s {
                drop(zeroize::Zeroizing::new(copy));
            }
            *out = Change::Set(parsed?);
        }
        Some(other) => {
            let (code, field) = (wire::FIELD_CODES[position], wire::FIELDS[position]);
            return Err(type_error(code, field, &other, "a string"));
        }
    }
    Ok(())
}

/// Refuse `null` for the field at `position`, which must have a value.
fn refuse_null<T>(c: &Change<T>, position: usize, why: &str) -> Result<(), Error> {
    match c {
        Change::Clear => {
            let field = wire::FIELDS[position];
            Err(Error::invalid(
                wire::FIELD_CODES[position],
                field,
                format!("{field} cannot be null: {why}"),
            ))
        }
        _ => Ok(()),
    }
}

pub(super) fn reject_unknown(
    obj: &RawObject<'_>,
    allow_expected_version: bool,
) -> Result<(), Error> {
    let unknown = obj.first_unknown.as_deref().or_else(|| {
        (!allow_expected_version && obj.values[wire::EXPECTED_VERSION].is_some())
            .then_some("expectedVersion")
    });
    match unknown {
        Some(f) => Err(Error::invalid(
            ErrorCode::UnknownField,
            crate::text::printable(f, crate::error::MAX_ECHOED_FIELD_CHARS),
            format!(
                "unknown field {}; the fields are {}",
                crate::text::quote(f),
                wire::FIELDS[..if allow_expected_version { 9 } else { 8 }].join(", ")
            ),
        )),
        None => Ok(()),
    }
}

pub(super) fn pair(
    user: Option<AuthUser>,
    password: Option<Password>,
) -> Result<Option<Auth>, Error> {
    match (user, password) {
        (Some(user), Some(password)) => Ok(Some(Auth { user, password })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(incomplete("authPassword", "authUser")),
        (None, Some(_)) => Err(incomplete("authUser", "authPassword")),
    }
}
