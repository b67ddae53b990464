//! The probe's SIP response parser and stream framing on any bytes a server could send: see
//! `sipcreds_probe::message::check_invariants`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sipcreds_probe::message::check_invariants(data);
});
