//! Fuzz targets of sipcreds (see ../README.md). The checks live in `checks.rs`, shared with
//! the replay of committed crashers by `cargo test` in the main workspace.
pub mod checks;
pub mod registry;
