//! The native addon of the `sipcreds` npm package: converts JSON text and errors to and from
//! the core's, and nothing else. The public API is `sipcreds.js` beside it, which turns replies
//! into plain objects and native errors into `SipcredsError` subclasses.
//!
//! Every store operation and `reserve` runs as an `AsyncTask` on the libuv thread pool, so the
//! event loop never waits for SQLite. A reply carries its JSON text and, out of the JSON, the
//! credentials it holds: their passwords stay in Rust memory (zeroized when the reply is
//! collected) until `revealPassword` asks for one.

mod boundary;
pub mod functions;
pub mod registry;
pub mod validate;

use napi_derive::napi;

/// mimalloc for this addon's own allocations (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The largest create or update body, in bytes (the core's limit, exported as it is).
#[napi]
pub const MAX_BODY_BYTES: u32 = sipcreds::MAX_BODY_BYTES as u32;
