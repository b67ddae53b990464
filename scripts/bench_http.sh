#!/usr/bin/env bash
# The HTTP API's benchmark (server/benches/http.rs) against FastAPI + pydantic + SQLite
# (server/bench/peer_fastapi.py), in one run: builds the release CLI, makes a virtualenv with
# FastAPI, uvicorn (standard: uvloop, httptools) and pydantic, and runs the bench.
# SIPCREDS_BENCH_SECONDS sets each measurement's length (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p sipcreds-cli
venv=target/bench-http-venv
[ -x "$venv/bin/uvicorn" ] || {
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "fastapi>=0.115" "uvicorn[standard]>=0.30" "pydantic>=2.7"
}
"$venv/bin/python" -c 'import fastapi, pydantic, uvicorn; print("peer: fastapi", fastapi.__version__, "pydantic", pydantic.VERSION, "uvicorn", uvicorn.__version__)'
SIPCREDS_CLI_BIN="$PWD/target/release/sipcreds" SIPCREDS_BENCH_PYTHON="$PWD/$venv/bin/python" \
  cargo bench --locked -p sipcreds-server --bench http
