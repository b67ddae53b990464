#!/usr/bin/env bash
# The HTTP API driven from its own OpenAPI document: the installed CLI (dist/cli) serves a
# fresh SQLite store on loopback; schemathesis (PyPI, in a virtualenv made here) generates
# requests from /v1/openapi.json for about a minute and checks every answer against the
# document: no 5xx, statuses, content types, headers and bodies as documented, invalid input
# refused. Then no token or password in the server's log, its metrics, or any recorded answer.
#
# Left out: the event stream (it never ends) and probes (each waits on the network; the
# integration tests probe real peers); `positive_data_acceptance` (the document cannot say
# every rule, e.g. a server's host syntax, so a schema-valid input can be refused with its
# 422), `unsupported_method` (an unlisted method is 404 not_found, as an unknown path), and
# `ignored_auth` (the open routes are open on purpose). One worker: with two, hypothesis's
# lambda-source cache races and fails the run with "AST constructor recursion depth mismatch"
# (an error inside the tool, not an answer of the server).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
source scripts/ci/lib.sh
SECONDS_BUDGET="${SIPCREDS_SCHEMATHESIS_SECONDS:-45}"
PORT="${SIPCREDS_API_PORT:-18480}"

venv="$ROOT/target/ci-api-venv"
[ -x "$venv/bin/schemathesis" ] || {
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis>=4.32,<5"
}
"$venv/bin/schemathesis" --version

without_rust
work="$ROOT/target/ci-api"
rm -rf "$work" && mkdir -p "$work"
tar -C "$work" -xzf "$(ls "$ROOT"/dist/cli/sipcreds-cli-*.tar.gz)"
bin="$(ls "$work"/sipcreds-cli-*/bin/sipcreds)"
export SIPCREDS_DB="$work/api.db" SIPCREDS_KEY="c2lwY3JlZHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE="
unset SIPCREDS_LIMITER
token="$("$bin" --org acme tokens create --role write --name schemathesis 2> /dev/null)"
password="Pw-api-$RANDOM-never-shown"
"$bin" serve --listen "127.0.0.1:$PORT" --token-rate 100000 --log-format json \
  > "$work/serve.out" 2> "$work/serve.log" &
pid=$!
trap 'kill "$pid" 2> /dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$work/serve.log" && break
  sleep 0.1
done
grep -q "listening on" "$work/serve.log" || { cat "$work/serve.log"; exit 1; }
# A credential with a password, so that answers about it could leak one if anything did.
curl -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"server\":\"sip.example.com\",\"authUser\":\"u\",\"authPassword\":\"$password\"}" \
  "http://127.0.0.1:$PORT/v1/orgs/acme/credentials" > "$work/created.json"

status=0
"$venv/bin/schemathesis" run "http://127.0.0.1:$PORT/v1/openapi.json" \
  -H "Authorization: Bearer $token" \
  --checks all --exclude-checks ignored_auth,unsupported_method,positive_data_acceptance \
  --exclude-operation-id events --exclude-operation-id probe \
  --max-time "$SECONDS_BUDGET" --seed 20261207 --workers 1 --no-color \
  --generation-database none --report har --report-dir "$work/report" \
  > "$work/schemathesis.txt" 2>&1 || status=$?
sed -n '/SUMMARY/,$p' "$work/schemathesis.txt"
if [ "$status" != 0 ]; then
  grep -v '^$' "$work/schemathesis.txt" | cut -c1-400 | head -150
  exit "$status"
fi
curl -sf "http://127.0.0.1:$PORT/metrics" > "$work/metrics.txt"
kill -TERM "$pid"
wait "$pid" || { echo "serve did not stop cleanly on SIGTERM"; exit 1; }
trap - EXIT
requests="$(grep -c '"route"' "$work/serve.log" || true)"
echo "serve logged $requests requests; checking the log, the metrics and every recorded answer"
for secret in "$token" "$password"; do
  if grep -rlF -- "$secret" "$work/serve.log" "$work/serve.out" "$work/metrics.txt" "$work/created.json"; then
    echo "a secret reached the output above"; exit 1
  fi
done
# The HAR holds the requests (with the token, which schemathesis sent) and the answers: no
# answer may hold the password or the token.
python3 - "$work/report" "$token" "$password" <<'PY'
import glob, json, sys
report, token, password = sys.argv[1:]
n = 0
for path in glob.glob(f"{report}/har-*.json"):
    for entry in json.load(open(path))["log"]["entries"]:
        n += 1
        text = entry["response"].get("content", {}).get("text", "") or ""
        headers = json.dumps(entry["response"].get("headers", []))
        for secret in (token, password):
            if secret in text or secret in headers:
                sys.exit(f"an answer holds a secret: {entry['request']['method']} {entry['request']['url']}")
print(f"{n} recorded answers, none holds the token or the password")
if n == 0:
    sys.exit("the HAR report recorded no answer")
PY
