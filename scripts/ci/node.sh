#!/usr/bin/env bash
# The Node package as users install it: dist/node/sipcreds-*.tgz (scripts/ci/release-and-check.sh
# packed it) installed into an empty folder whose PATH has no cargo or rustc, then the
# `node --test` suite and the benchmark on a small set against that installed package
# (SIPCREDS_NODE_PACKAGE), and `tsc --strict` on the TypeScript example and the .d.ts files.
# Then the contributors' source install (`npm install ./bindings-node`, which builds the
# addon with cargo on the first require).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/lib.sh
ROOT="$PWD"
tgz="$(ls "$ROOT"/dist/node/sipcreds-[0-9]*.tgz)"

(
  without_rust
  consumer="$ROOT/target/ci-node-consumer"
  rm -rf "$consumer" && mkdir -p "$consumer"
  cd "$consumer"
  npm init -y > /dev/null
  t0=$SECONDS
  npm install --no-audit --no-fund --loglevel=error "$tgz"
  echo "npm install $(basename "$tgz") took $((SECONDS - t0)) s"
  export SIPCREDS_NODE_PACKAGE="$consumer/node_modules/sipcreds"
  node -e "
    const s = require('sipcreds')
    const out = s.validateCredential({ server: 'SIP.Example.com', transport: 'TLS' })
    if (out.port !== 5061) throw new Error('unexpected ' + JSON.stringify(out))
    console.log('require(\"sipcreds\") from', require.resolve('sipcreds'), 'version', s.version)
  "
  cd "$ROOT/bindings-node"
  node --test test/
  npx tsc -p tsconfig.json && echo "tsc --strict: examples/quickstart.ts and the .d.ts files type-check"
  node bench/validate.js 2000 1
)

# The source install: no addon in the package folder, so the first require builds it (npm 11
# does not run the install script of an unapproved package) into the shared release tree, with
# the release's zig environment, so only the addon's own crate is compiled.
source scripts/zig-env.sh
zig_env "$(host_triple)"
rm -f bindings-node/sipcreds.*.node
consumer="$(mktemp -d)"
(
  cd "$consumer"
  npm init -y > /dev/null
  npm install --no-audit --no-fund --loglevel=error "$ROOT/bindings-node"
  node -e "
    const s = require('sipcreds')
    const out = s.validateCredential({ server: 'SIP.Example.com', transport: 'TLS' })
    if (out.port !== 5061) throw new Error('unexpected ' + JSON.stringify(out))
    console.log('source install: require(\"sipcreds\") ok, version', s.version)
  "
)
rm -rf "$consumer"
