//! `cargo xtask codegen [--check]`: render the generated files (docs/, the bindings' error
//! classes and shapes, the C status enum, the JSON Schema, the OpenAPI document) from the
//! core; with `--check`, write nothing and exit 1 when one differs.

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask codegen [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let check = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["codegen"] => false,
        ["codegen", "--check"] => true,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match xtask::stale_files(!check) {
        Ok(stale) if stale.is_empty() => {
            println!("the generated files are current");
            ExitCode::SUCCESS
        }
        Ok(stale) if check => {
            eprintln!(
                "generated files out of date: {}; run `cargo xtask codegen` and commit them",
                stale.join(", ")
            );
            ExitCode::FAILURE
        }
        Ok(stale) => {
            println!("rewrote {}", stale.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write a generated file: {e}");
            ExitCode::FAILURE
        }
    }
}
