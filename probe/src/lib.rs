//! # sipcreds-probe
//!
//! The live probe of sipcreds (SPEC §12): given a stored credential, contact the trunk the
//! way a SIP stack would and say what happened, step by step, in the terms of `diagnose`.
//!
//! 1. `resolve`: RFC 3263 (SRV by priority and weight, then A/AAAA), or the IP literal;
//! 2. `connect`: UDP on a connected socket, TCP, or TLS verified against the bundled Mozilla
//!    roots, the system's store or a CA file (never unverified);
//! 3. `options`: an OPTIONS request;
//! 4. `register`: a REGISTER *without Contact* (a binding query: nothing is registered),
//!    answering one 401/407 with RFC 7616/8760 digest.
//!
//! The outcome is one stable code ([`Outcome`]); the causes are those of
//! [`sipcreds::diagnose`] for the outcome's symptom. Bounds: one budget for the whole probe
//! (default 5 s), RFC 3261 Timer A within it, at most 12 requests, at most one authenticated
//! retry per request (one more only on `stale=true`), never INVITE, never a registration, one
//! probe of a credential at a time in a process.
//!
//! ```no_run
//! use sipcreds::{Registry, CredentialInput};
//! use sipcreds_probe::{ProbeOptions, probe_registry_blocking};
//! let reg = Registry::in_memory();
//! let cred = reg.create_credential("acme", CredentialInput::from_json(
//!     r#"{"server": "sip.example.com", "authUser": "u", "authPassword": "p"}"#).unwrap()).unwrap();
//! let report = probe_registry_blocking(&reg, "acme", cred.id.as_str(), &ProbeOptions::default()).unwrap();
//! println!("{} {:?}", report.outcome, report.causes.first().map(|c| c.fix));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

//!
//! Without the default feature `net` the crate is its pure parts only (the SIP messages, the
//! digest, the report and the classifier), with no runtime, resolver or TLS: what the fuzz
//! target builds.

pub mod digest;
pub mod message;
#[cfg(feature = "net")]
mod monitor;
#[cfg(feature = "net")]
mod net;
#[cfg(feature = "net")]
mod options;
mod report;
#[cfg(feature = "net")]
pub mod resolve;
#[cfg(feature = "net")]
mod run;
#[cfg(feature = "net")]
pub mod transport;

#[cfg(feature = "net")]
pub use monitor::{
    Counters, INTERVAL_RANGE, MAX_MAX_INTERVAL, MAX_PER_SERVER, Monitor, MonitorOptions, Prober,
    ROUND, Transition, grace, probe_result,
};
#[cfg(feature = "net")]
pub use net::*;
#[cfg(feature = "net")]
pub use options::{DEFAULT_TIMEOUT, MAX_TIMEOUT, MIN_TIMEOUT, ProbeOptions};
pub use report::{
    ChallengeInfo, MAX_TRACE_CHARS, Outcome, Report, ReportCause, Source, Step, StepName, Target,
    TraceEntry, Verdict, classify, speaks_of_a_limit,
};
#[cfg(feature = "net")]
pub use run::{MAX_CONNECTIONS, MAX_REQUESTS, MAX_TARGETS, T1, T2};
