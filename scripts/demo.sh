#!/usr/bin/env bash
# The main job: build the CLI, lint the example trunks, validate one body, diagnose a 503.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p sipcreds-cli
bin=target/release/sipcreds
echo "== sipcreds lint examples/trunks.json"
"$bin" lint examples/trunks.json || true   # exits 1: the example has one bad entry on purpose
echo "== sipcreds validate --json"
echo '{"server":"SIP.Example.com:5061","transport":"TLS","authUser":"acme","authPassword":"s3cret","cpsLimit":10}' | "$bin" validate --json
echo "== sipcreds diagnose 503 --reason 'CPS limit exceeded'"
"$bin" diagnose 503 --reason "CPS limit exceeded"
