//! See `sipcreds_fuzz::checks::e164`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        sipcreds_fuzz::checks::e164(text);
    }
});
