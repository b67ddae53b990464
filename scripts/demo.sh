#!/usr/bin/env bash
# The main job: the CLI on the embedded SQLite store. Imports the example trunks into a fresh
# store, links numbers and an agent, then shows the rate groups, the lint findings, a usage
# report, a refused delete, a validation error and a diagnosis.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${SIPCREDS_BIN:-}" ]; then
  bin="$SIPCREDS_BIN" # an installed sipcreds (CI runs the release archive's)
else
  # The host triple named, as scripts/release.sh does: one release tree for every artifact.
  host="$(rustc -vV | sed -n 's/^host: //p')"
  cargo build --release --locked --target "$host" -p sipcreds-cli
  bin="$PWD/target/$host/release/sipcreds"
fi
work="$PWD/target/demo"
rm -rf "$work" && mkdir -p "$work"
export SIPCREDS_DB="$work/sipcreds.db" SIPCREDS_ORG=acme

run() { echo; echo "\$ sipcreds $*"; "$bin" "$@"; }

run import examples/trunks.json
first=$("$bin" credentials list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
run credentials list
run numbers link +14155550100 "$first"
agent=$("$bin" agents create "Ada Lovelace" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
run agents assign "$agent" +14155550100
run limits
run lint
run credentials usage "$first"
run credentials delete "$first" || echo "(exit $?: refused, it is in use)"
echo; echo '$ echo {"server":"sip:trunk.example.com"} | sipcreds validate'
echo '{"server":"sip:trunk.example.com"}' | "$bin" validate || echo "(exit $?)"
run diagnose 503 --reason "CPS limit exceeded"
echo; echo "store: $SIPCREDS_DB (key: $work/sipcreds.key)"
