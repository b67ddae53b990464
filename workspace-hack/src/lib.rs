//! Feature unification for the release artifacts: see `Cargo.toml`. No code.
