#!/usr/bin/env bash
# The CLI as users install it: dist/cli/sipcreds-cli-*.tar.gz unpacked, then, with no cargo or
# rustc on PATH, the CLI's own test suites (cli/tests: the conformance vectors through
# `validate --json`, the registry scenarios, the probe against real peers), prebuilt by the
# rust-tests stage and pointed at the installed binary (SIPCREDS_CLI_BIN), and the main job
# (scripts/demo.sh's steps, through SIPCREDS_BIN) on a fresh embedded SQLite store.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/lib.sh
ROOT="$PWD"
archive="$(ls "$ROOT"/dist/cli/sipcreds-cli-*.tar.gz)"

# The CLI's test binaries, as the rust-tests stage built them (the same command, so nothing
# is compiled again).
mapfile -t suites < <(
  cargo test --workspace --locked --exclude sipcreds-python --exclude sipcreds-node \
    --exclude sipcreds-uniffi --no-run --message-format=json 2> /dev/null \
    | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["kind"] == ["test"] \
            and m["package_id"].split("#")[0].endswith("/cli") and m.get("executable"):
        print(m["executable"])
'
)
[ "${#suites[@]}" -ge 3 ] || { echo "found ${#suites[@]} CLI test suites, expected cli, probe and registry"; exit 1; }

without_rust
unpacked="$ROOT/target/ci-cli-installed"
rm -rf "$unpacked" && mkdir -p "$unpacked"
tar -C "$unpacked" -xzf "$archive"
bin="$(ls "$unpacked"/sipcreds-cli-*/bin/sipcreds)"
"$bin" --version
# The man page and completions ship in the archive.
for f in share/man/man1/sipcreds.1 share/bash-completion/completions/sipcreds \
  share/zsh/site-functions/_sipcreds share/fish/vendor_completions.d/sipcreds.fish; do
  test -s "$(dirname "$(dirname "$bin")")/$f" || { echo "the CLI archive lacks $f"; exit 1; }
done
man -l "$(dirname "$(dirname "$bin")")/share/man/man1/sipcreds.1" 2> /dev/null | head -3 || true
export SIPCREDS_CLI_BIN="$bin"
for suite in "${suites[@]}"; do
  echo "running $(basename "$suite") against $bin"
  (cd cli && "$suite" -q)
done
SIPCREDS_BIN="$bin" bash scripts/demo.sh > target/ci-cli-demo.txt 2>&1
tail -n 5 target/ci-cli-demo.txt
grep -q 'error\[invalid_server\]' target/ci-cli-demo.txt || { echo "the demo's validation error is missing"; exit 1; }
