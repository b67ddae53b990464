//! The C ABI of sipcreds (`libsipcreds`, `include/sipcreds.h`): JSON text in, JSON text out,
//! a status code per call, opaque registry handles. A thin layer: it converts C strings and
//! errors, and calls the core; no rule lives here.
//!
//! Every `extern "C"` function runs its body inside [`std::panic::catch_unwind`] and checks
//! every pointer first, so neither a panic nor an abort reaches the C caller.
#![allow(non_camel_case_types)]

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::Value;
use sipcreds::{CredentialInput, CredentialPatch, Error, Registry};

/// The version of the library, as in `Cargo.toml` (a test checks them against each other).
pub const SIPCREDS_VERSION_MAJOR: u32 = 0;
/// The minor version.
pub const SIPCREDS_VERSION_MINOR: u32 = 1;
/// The patch version.
pub const SIPCREDS_VERSION_PATCH: u32 = 0;

mod status;
pub use status::sipcreds_status;

mod boundary;
pub use boundary::sipcreds_registry;
use boundary::*;
mod functions;
pub use functions::*;
mod registry;
pub use registry::*;
mod credentials;
pub use credentials::*;
mod numbers;
pub use numbers::*;
mod health;
pub use health::*;
mod tokens;
pub use tokens::*;
mod agents;
pub use agents::*;
mod providers;
pub use providers::*;
mod probe;
pub use probe::*;
mod limits;
pub use limits::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_fixed_number_and_name() {
        for code in sipcreds::ErrorCode::ALL {
            let status = sipcreds_status::of(code);
            assert_eq!(status as u32, code.number(), "{code:?}");
            assert_eq!(status.name().to_str().unwrap(), code.as_str());
            // SAFETY: the name is a static C string.
            let named = unsafe { CStr::from_ptr(sipcreds_status_name(status as u32)) };
            assert_eq!(named.to_str().unwrap(), code.as_str());
        }
        // SAFETY: static C strings.
        unsafe {
            assert_eq!(CStr::from_ptr(sipcreds_status_name(0)).to_str(), Ok("ok"));
            assert_eq!(
                CStr::from_ptr(sipcreds_status_name(1000)).to_str(),
                Ok("null_argument")
            );
            assert_eq!(
                CStr::from_ptr(sipcreds_status_name(999)).to_str(),
                Ok("unknown")
            );
        }
    }

    #[test]
    fn version_constants_match_cargo_toml() {
        let parts: Vec<u32> = env!("CARGO_PKG_VERSION")
            .split('.')
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(
            parts,
            [
                SIPCREDS_VERSION_MAJOR,
                SIPCREDS_VERSION_MINOR,
                SIPCREDS_VERSION_PATCH
            ]
        );
        let header = include_str!("../include/sipcreds.h");
        for (name, value) in [
            ("SIPCREDS_VERSION_MAJOR", SIPCREDS_VERSION_MAJOR),
            ("SIPCREDS_VERSION_MINOR", SIPCREDS_VERSION_MINOR),
            ("SIPCREDS_VERSION_PATCH", SIPCREDS_VERSION_PATCH),
        ] {
            assert!(
                header.contains(&format!("#define {name} {value}")),
                "sipcreds.h lacks #define {name} {value}"
            );
        }
        let pc = include_str!("../sipcreds.pc.in");
        assert!(pc.contains("Version: @VERSION@"));
    }
}
