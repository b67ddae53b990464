//! The shared conformance vectors of `sipcreds` (`tests/vectors/credentials.json`), loaded for
//! the Rust test suites. Every surface (Rust, CLI, Python, Node, C) runs the same file.
//!
//! The README follows; its Rust quickstart runs as a doctest here.
#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]

use serde_json::Value;

pub mod results;

/// One vector: a body, and either the expected normalized fields or the expected error.
#[derive(Debug, Clone)]
pub struct Vector {
    /// What it checks.
    pub name: String,
    /// The body as sent (`raw`, or `input` encoded as JSON).
    pub body: String,
    /// The expected outcome.
    pub expected: Expected,
}

/// What a vector expects.
#[derive(Debug, Clone)]
pub enum Expected {
    /// These output fields with these values (other fields are not compared).
    Fields(serde_json::Map<String, Value>),
    /// This error code and field (`None` for no field).
    Error {
        /// The §8 code.
        code: String,
        /// The wire field.
        field: Option<String>,
    },
}

/// The path of the vector file.
pub fn vectors_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/credentials.json")
}

/// Load every vector.
pub fn load() -> Vec<Vector> {
    let text = std::fs::read_to_string(vectors_path()).expect("read the vector file");
    let all: Vec<Value> = serde_json::from_str(&text).expect("the vector file is JSON");
    all.into_iter()
        .map(|v| {
            let name = v["name"].as_str().expect("name").to_owned();
            let body = match v.get("raw") {
                Some(Value::String(raw)) => raw.clone(),
                _ => serde_json::to_string(&v["input"]).expect("encode input"),
            };
            let expected = if let Some(Value::Object(fields)) = v.get("expect") {
                Expected::Fields(fields.clone())
            } else {
                let e = &v["error"];
                Expected::Error {
                    code: e["code"].as_str().expect("error.code").to_owned(),
                    field: e["field"].as_str().map(str::to_owned),
                }
            };
            Vector {
                name,
                body,
                expected,
            }
        })
        .collect()
}

/// Compare an outcome (the normalized object, or the §8 error JSON) with a vector; `Err`
/// says what differs.
pub fn check(v: &Vector, outcome: Result<&Value, &Value>) -> Result<(), String> {
    match (&v.expected, outcome) {
        (Expected::Fields(want), Ok(got)) => {
            for (k, w) in want {
                if got.get(k) != Some(w) {
                    return Err(format!(
                        "{}: field {k}: want {w}, got {:?}",
                        v.name,
                        got.get(k)
                    ));
                }
            }
            if got.get("authPassword").is_some() {
                return Err(format!("{}: output carries authPassword", v.name));
            }
            Ok(())
        }
        (Expected::Error { code, field }, Err(got)) => {
            let e = &got["error"];
            let got_code = e["code"].as_str().unwrap_or_default();
            let got_field = e["field"].as_str();
            if got_code != code || got_field != field.as_deref() {
                return Err(format!(
                    "{}: want error {code}/{field:?}, got {got_code}/{got_field:?}: {}",
                    v.name, e["message"]
                ));
            }
            Ok(())
        }
        (Expected::Fields(_), Err(got)) => Err(format!("{}: want success, got {got}", v.name)),
        (Expected::Error { code, .. }, Ok(got)) => {
            Err(format!("{}: want error {code}, got {got}", v.name))
        }
    }
}

/// The `sipcreds` binary the CLI tests run: `SIPCREDS_CLI_BIN` when set (CI runs the suites
/// against the binary of the release archive, installed with no cargo on `PATH`), else the
/// one cargo built for the test (`env!("CARGO_BIN_EXE_sipcreds")`, passed by the caller).
pub fn cli_bin(built: &str) -> std::path::PathBuf {
    std::env::var_os("SIPCREDS_CLI_BIN").map_or_else(|| built.into(), std::path::PathBuf::from)
}

/// The store key the tests run the CLI with (`SIPCREDS_KEY`: 32 bytes, base64).
pub const TEST_KEY: &str = "c2lwY3JlZHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=";

/// Run `cmd` as a test runs a command: `stdin` written to it (a broken pipe ignored: it may
/// exit before reading all of it), `NO_COLOR=1`, stdout and stderr captured.
pub fn run_with_stdin(cmd: &mut std::process::Command, stdin: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the command");
    let _ = child.stdin.take().expect("its stdin").write_all(stdin);
    child.wait_with_output().expect("wait for the command")
}

pub mod graph;
pub mod parity;
pub mod scale;
pub mod suite;
