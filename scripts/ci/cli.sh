#!/usr/bin/env bash
# The CLI as users install it: dist/cli/sipcreds-cli-*.tar.gz unpacked, then, with no cargo or
# rustc on PATH, the main job (scripts/demo.sh's steps, through SIPCREDS_BIN) on a fresh
# embedded SQLite store. (The CLI's own test suite runs in the rust-tests stage.)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/lib.sh
ROOT="$PWD"
archive="$(ls "$ROOT"/dist/cli/sipcreds-cli-*.tar.gz)"
without_rust
unpacked="$ROOT/target/ci-cli-installed"
rm -rf "$unpacked" && mkdir -p "$unpacked"
tar -C "$unpacked" -xzf "$archive"
bin="$(ls "$unpacked"/sipcreds-cli-*/bin/sipcreds)"
"$bin" --version
SIPCREDS_BIN="$bin" bash scripts/demo.sh > target/ci-cli-demo.txt 2>&1
tail -n 5 target/ci-cli-demo.txt
grep -q 'error\[invalid_server\]' target/ci-cli-demo.txt || { echo "the demo's validation error is missing"; exit 1; }
