#!/usr/bin/env bash
# 1,000 credentials probed at concurrency 100 through every probe_all surface, against one
# real Kamailio on loopback (OPTIONS answered 200; REGISTER with digest): the CLI's
# `probe --all`, Python's `probe_all` and Node's `probeAll`, wall time of each, several runs.
# Target (issue 29): each at most 1 s.
#
#   bash scripts/bench_probe_all.sh [N=1000] [CONCURRENCY=100] [RUNS=3]
#
# Needs: kamailio (apt-get install kamailio), the release CLI (target/release/sipcreds or
# $SIPCREDS_CLI), the Python module importable by $PYTHON (pip install ./bindings-python, or
# maturin develop), and the Node addon built (node bindings-node/scripts/build.js).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000}"
CONC="${2:-100}"
RUNS="${3:-3}"
PY="${PYTHON:-python3}"
CLI="${SIPCREDS_CLI:-target/release/sipcreds}"
[ -x "$CLI" ] || cargo build --release -q -p sipcreds-cli
WORK="$(mktemp -d)"
trap 'kill "$(cat "$WORK/kamailio.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT="$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > "$WORK/kamailio.cfg" <<EOF
#!KAMAILIO
debug=1
log_stderror=no
fork=yes
children=4
tcp_children=2
auto_aliases=no
listen=udp:127.0.0.1:$PORT
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "auth.so"
request_route {
  if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }
  if (is_method("REGISTER")) {
    if (!pv_auth_check("bench.test", "pw-bench", "0", "1")) { auth_challenge("bench.test", "1"); exit; }
    sl_send_reply("200", "OK"); exit;
  }
  sl_send_reply("405", "Method Not Allowed");
}
EOF
kamailio -f "$WORK/kamailio.cfg" -P "$WORK/kamailio.pid" -w "$WORK" > "$WORK/kamailio.log" 2>&1 || { cat "$WORK/kamailio.log"; exit 1; }
sleep 0.5

export SIPCREDS_KEY="c2lwY3JlZHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE="
export SIPCREDS_DB="$WORK/bench.db"
$PY - "$N" "$PORT" <<'EOF'
import json, sys
n, port = int(sys.argv[1]), int(sys.argv[2])
lines = [json.dumps({"name": f"trunk-{i}", "server": f"127.0.0.1:{port}", "authUser": f"u{i}",
                     "authPassword": "pw-bench", "domain": "bench.test"}) for i in range(n)]
open("/tmp/sipcreds-bench-probe-all.jsonl", "w").write("\n".join(lines) + "\n")
EOF
"$CLI" --org bench import /tmp/sipcreds-bench-probe-all.jsonl > /dev/null 2>&1
rm -f /tmp/sipcreds-bench-probe-all.jsonl
echo "$N credentials, concurrency $CONC, Kamailio on 127.0.0.1:$PORT (OPTIONS + REGISTER with digest)"

for run in $(seq "$RUNS"); do
  t0=$(date +%s.%N)
  "$CLI" --org bench probe --all --concurrency "$CONC" --json > "$WORK/cli.jsonl" || true
  t1=$(date +%s.%N)
  ok=$(grep -c '"outcome":"ok"' "$WORK/cli.jsonl" || true)
  printf 'cli    probe --all  run %d: %.3f s (%s ok of %s)\n' "$run" "$(echo "$t1 - $t0" | bc)" "$ok" "$(wc -l < "$WORK/cli.jsonl")"

  $PY - "$CONC" "$run" <<'EOF'
import os, sys, time, collections
import sipcreds
conc, run = int(sys.argv[1]), sys.argv[2]
reg = sipcreds.Registry(os.environ["SIPCREDS_DB"])
t = time.perf_counter()
outcomes = collections.Counter(r["outcome"] for r in reg.probe_all("bench", concurrency=conc))
print(f"python probe_all    run {run}: {time.perf_counter() - t:.3f} s ({outcomes['ok']} ok of {sum(outcomes.values())})")
EOF

  node - "$CONC" "$run" <<'EOF'
const { Registry } = require(process.env.SIPCREDS_NODE_PACKAGE || './bindings-node')
const [conc, run] = process.argv.slice(2)
;(async () => {
  const reg = await Registry.open(process.env.SIPCREDS_DB)
  const t = performance.now()
  let n = 0, ok = 0
  for await (const r of reg.probeAll('bench', { concurrency: Number(conc) })) { n++; if (r.outcome === 'ok') ok++ }
  console.log(`node   probeAll     run ${run}: ${((performance.now() - t) / 1000).toFixed(3)} s (${ok} ok of ${n})`)
})()
EOF
done
