//! What every SQL store of `sipcreds` shares (`sipcreds-sqlite`, `sipcreds-postgres`), with no
//! driver of its own:
//!
//! - [`Key`]: the 32-byte key and the format of passwords at rest (XChaCha20-Poly1305,
//!   nonce ‖ ciphertext, bound to org and credential id by [`aad`]), and the key check that
//!   refuses a wrong key when a database is opened;
//! - [`row`]: a credential as columns and back, every value re-validated on the way back;
//! - [`sql`]: the statements both stores run, written once, and the [`Dialect`] that gives
//!   each engine its spelling (placeholders, table prefix).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod crypto;
pub mod row;
pub mod sql;

pub use crypto::{KEY_ENV, Key, aad};
pub use sql::Dialect;
