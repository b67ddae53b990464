//! Passwords are zeroized: every heap block the library frees while it handles a password is
//! checked, just before it is freed, for the password's bytes. A block that still holds them
//! is a copy nobody wiped: it would linger in freed memory (and in core dumps and swap).
//!
//! The check is a global allocator wrapping the system one. It looks only at blocks freed by
//! this test's thread while a check is armed, so the test harness and the caller's own
//! buffers (the JSON body the test passes in) are not counted. Reading a block just before
//! `dealloc` reads bytes the allocator owns, some possibly never written: acceptable in a
//! test allocator. Blocks are handed out zeroed, so a
//! find is a copy made while the block was in use, never a leftover. That is the reason this file allows `unsafe`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use sipcreds::{CredentialInput, CredentialPatch, Registry};

const MAX_NEEDLE: usize = 64;

// Per thread, so tests running side by side do not see each other's blocks.
thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static NEEDLE: Cell<([u8; MAX_NEEDLE], usize)> = const { Cell::new(([0; MAX_NEEDLE], 0)) };
    /// Blocks freed (or moved by `realloc`) with the password still in them.
    static UNWIPED: Cell<usize> = const { Cell::new(0) };
}

struct Watch;

/// The needle is kept masked (each byte XOR [`MASK`]): the check's own copies of it (the
/// thread-local read onto the allocator's stack frame on every free) must not leave the
/// password in stale stack memory, where a value's padding copied later into a heap block
/// would carry it and be found as a leak of the library's.
const MASK: u8 = 0x5a;

fn contains_needle(block: &[u8]) -> bool {
    let (masked, n) = NEEDLE.with(Cell::get);
    n > 0
        && block.len() >= n
        && block
            .windows(n)
            .any(|w| w.iter().zip(&masked[..n]).all(|(b, m)| b ^ MASK == *m))
}

unsafe fn scan(ptr: *mut u8, size: usize) {
    if ARMED.with(Cell::get) && size > 0 {
        // SAFETY: `ptr` is a live block of `size` bytes handed back to us by its owner.
        let block = unsafe { std::slice::from_raw_parts(ptr, size) };
        if contains_needle(block) {
            UNWIPED.with(|u| u.set(u.get() + 1));
        }
    }
}

unsafe impl GlobalAlloc for Watch {
    // Every block starts zeroed, so bytes found in it at the end were written in its lifetime
    // (not left over from an earlier owner of the same memory).
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe {
            scan(ptr, layout.size());
            System.dealloc(ptr, layout)
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A move leaves the old block's bytes behind in freed memory.
        unsafe {
            scan(ptr, layout.size());
            let new = System.realloc(ptr, layout, new_size);
            if !new.is_null() && new_size > layout.size() {
                new.add(layout.size())
                    .write_bytes(0, new_size - layout.size());
            }
            new
        }
    }
}

#[global_allocator]
static GLOBAL: Watch = Watch;

/// Run `f` with the check armed for `password`; return the number of unwiped blocks.
fn unwiped_while<R>(password: &str, f: impl FnOnce() -> R) -> (usize, R) {
    let bytes = password.as_bytes();
    assert!(bytes.len() >= 12 && bytes.len() <= MAX_NEEDLE);
    let mut needle = [0u8; MAX_NEEDLE];
    for (m, b) in needle.iter_mut().zip(bytes) {
        *m = b ^ MASK;
    }
    NEEDLE.with(|c| c.set((needle, bytes.len())));
    UNWIPED.with(|u| u.set(0));
    ARMED.with(|a| a.set(true));
    let r = f();
    ARMED.with(|a| a.set(false));
    NEEDLE.with(|c| c.set(([0; MAX_NEEDLE], 0)));
    (UNWIPED.with(Cell::get), r)
}

/// Passwords of a few shapes; the escaped ones make the JSON parser build an owned copy.
fn passwords() -> Vec<(String, String)> {
    // (password, the same as a JSON string literal's inside)
    let mut out = Vec::new();
    for i in 0..200u32 {
        let pw = format!("Zq{i:03}-wipe-me-{}", i.wrapping_mul(2_654_435_761));
        out.push((pw.clone(), pw));
    }
    for i in 0..50u32 {
        let pw = format!("Esc\"{i:03}\\wipe/é-{}", i * 7919);
        let lit = serde_json::to_string(&pw).unwrap();
        out.push((pw, lit[1..lit.len() - 1].to_string()));
        let pw = format!("Uni{i:03}-wipe-é☎-{}", i * 104_729);
        let lit: String = pw
            .chars()
            .map(|c| {
                if c.is_ascii() {
                    c.to_string()
                } else {
                    format!("\\u{:04x}", c as u32)
                }
            })
            .collect();
        out.push((pw, lit));
    }
    out
}

fn body(lit: &str) -> String {
    format!(r#"{{"server":"sip.example.com","authUser":"acme","authPassword":"{lit}"}}"#)
}

#[test]
fn the_scan_sees_an_unwiped_copy() {
    // The check can fail: a plain String copy of a password, dropped, is found.
    let (n, ()) = unwiped_while("Zq-plain-copy-not-wiped", || {
        let copy = String::from("Zq-plain-copy-not-wiped");
        drop(std::hint::black_box(copy));
    });
    assert_eq!(n, 1);
    let (n, ()) = unwiped_while("Zq-wiped-by-zeroizing", || {
        let copy = zeroize::Zeroizing::new(String::from("Zq-wiped-by-zeroizing"));
        drop(std::hint::black_box(copy));
    });
    assert_eq!(n, 0);
}

#[test]
fn parsing_validating_and_dropping_wipes_every_copy() {
    for (pw, lit) in passwords() {
        let create = body(&lit);
        let patch = format!(r#"{{"authPassword":"{lit}"}}"#);
        let bad = format!(r#"{{"server":"sip:bad","authUser":"acme","authPassword":"{lit}"}}"#);
        let (n, ()) = unwiped_while(&pw, || {
            let input = CredentialInput::from_json(&create).unwrap();
            assert_eq!(input.auth.as_ref().unwrap().password.expose(), pw);
            let _ = input.normalized_json().to_string();
            let _ = format!("{input:?}");
            let cloned = input.clone();
            drop((input, cloned));
            let p = CredentialPatch::from_json(&patch).unwrap();
            drop(p);
            let e = CredentialInput::from_json(&bad).unwrap_err();
            drop(e);
        });
        assert_eq!(n, 0, "{n} unwiped block(s) held the password {pw:?}");
    }
}

#[test]
fn the_memory_registry_wipes_every_copy() {
    for (pw, lit) in passwords().into_iter().step_by(5) {
        let create = body(&lit);
        let (n, ()) = unwiped_while(&pw, || {
            let reg = Registry::in_memory();
            let c = reg.create_credential_json("acme", &create).unwrap();
            let _ = c.to_json().to_string();
            let got = reg.get_credential("acme", c.id.as_str()).unwrap();
            assert_eq!(got.expose_password(), Some(pw.as_str()));
            let _ = reg.list_credentials("acme").unwrap();
            reg.update_credential_json("acme", c.id.as_str(), r#"{"cpsLimit":5}"#)
                .unwrap();
            reg.delete_credential("acme", c.id.as_str(), false).unwrap();
            drop((reg, c, got));
        });
        assert_eq!(n, 0, "{n} unwiped block(s) held the password {pw:?}");
    }
}

#[test]
fn the_sqlite_store_wipes_every_copy() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (pw, lit)) in passwords().into_iter().step_by(10).enumerate() {
        let create = body(&lit);
        let db = dir.path().join(format!("z{i}.db"));
        let key = sipcreds_sqlite::Key::from_bytes(&[9; 32], "test");
        let (n, ()) = unwiped_while(&pw, || {
            let store = sipcreds_sqlite::SqliteStore::open_with(
                &db,
                key,
                sipcreds_sqlite::Durability::Normal,
            )
            .unwrap();
            let reg = Registry::new(store);
            let c = reg.create_credential_json("acme", &create).unwrap();
            let got = reg.get_credential("acme", c.id.as_str()).unwrap();
            assert_eq!(got.expose_password(), Some(pw.as_str()));
            let _ = reg.list_credentials("acme").unwrap();
            drop((reg, c, got));
        });
        assert_eq!(n, 0, "{n} unwiped block(s) held the password {pw:?}");
    }
}

/// A JSON object of strings, each copied once into the value (as a binding's conversion does).
fn object(pairs: &[(&str, &str)]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (k, v) in pairs {
        m.insert((*k).to_owned(), serde_json::Value::String((*v).to_owned()));
    }
    serde_json::Value::Object(m)
}

#[test]
fn values_from_a_binding_are_read_and_wiped_without_a_stray_copy() {
    for (pw, _) in passwords().into_iter().step_by(3) {
        let (n, ()) = unwiped_while(&pw, || {
            // As a binding builds them from a dict or an object: strings holding the password.
            let v = object(&[
                ("server", "sip.example.com"),
                ("authUser", "acme"),
                ("authPassword", &pw),
            ]);
            let input = CredentialInput::from_value(&v).unwrap();
            assert_eq!(input.auth.as_ref().unwrap().password.expose(), pw);
            sipcreds::wipe_value(v);
            drop(input);
            let v = object(&[("authPassword", &pw), ("authUser", "u")]);
            drop(CredentialPatch::from_value(&v).unwrap());
            sipcreds::wipe_value(v);
        });
        assert_eq!(n, 0, "{n} unwiped block(s) held the password {pw:?}");
    }
    // The check sees a value dropped without the wipe.
    let (pw, _) = &passwords()[0];
    let (n, ()) = unwiped_while(pw, || {
        let v = object(&[("authPassword", pw)]);
        drop(v);
    });
    assert!(n > 0);
}

#[test]
#[allow(unsafe_code)]
fn the_c_abi_reveal_hands_out_one_copy_and_free_wipes_it() {
    use sipcreds_ffi::*;
    use std::ffi::{CStr, CString};
    use std::os::raw::c_char;
    let org = CString::new("acme").unwrap();
    for (pw, lit) in passwords().into_iter().step_by(7) {
        let create = CString::new(body(&lit)).unwrap();
        let (n, ()) = unwiped_while(&pw, || {
            // SAFETY: the C API used as its header says: valid strings, out-parameters, and
            // every string and handle freed once.
            unsafe {
                let mut reg: *mut sipcreds_registry = std::ptr::null_mut();
                let mut out: *mut c_char = std::ptr::null_mut();
                sipcreds_registry_open(std::ptr::null(), &mut reg, &mut out);
                sipcreds_string_free(out);
                let mut json: *mut c_char = std::ptr::null_mut();
                sipcreds_registry_create_credential(reg, org.as_ptr(), create.as_ptr(), &mut json);
                let v: serde_json::Value =
                    serde_json::from_slice(CStr::from_ptr(json).to_bytes()).unwrap();
                sipcreds_string_free(json);
                let id = CString::new(v["id"].as_str().unwrap()).unwrap();
                let mut revealed: *mut c_char = std::ptr::null_mut();
                let status = sipcreds_credential_reveal_password(
                    reg,
                    org.as_ptr(),
                    id.as_ptr(),
                    &mut revealed,
                );
                assert_eq!(status as u32, 0);
                assert_eq!(CStr::from_ptr(revealed).to_str().unwrap(), pw);
                sipcreds_string_free(revealed);
                sipcreds_registry_free(reg);
            }
        });
        assert_eq!(n, 0, "{n} unwiped block(s) held the password {pw:?}");
    }
}
