//! The committed generated files are what the core's declarations render (`xtask::codegen`):
//! a list kept by hand would drift. `cargo xtask codegen` rewrites them.

#[test]
fn generated_files_are_current() {
    let stale = xtask::stale_files(false).expect("the generated files are readable");
    assert!(
        stale.is_empty(),
        "generated files out of date: {stale:?}; run `cargo xtask codegen` and commit them"
    );
}
