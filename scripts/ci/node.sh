#!/usr/bin/env bash
# The Node package: install its dev tools, rebuild the addon with the napi CLI and fail if the
# committed index.js / index.d.ts drift from what it generates, install the package from an
# empty folder as users do (`npm install ./bindings-node`, then `require('sipcreds')`), run
# the `node --test` suite, type-check the TypeScript example with `tsc --strict`, and run the
# benchmark on a small set (both validators must agree on every input).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"
cd bindings-node
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
t0=$SECONDS
npx napi build --platform --release --js index.js --dts index.d.ts
echo "napi build took $((SECONDS - t0)) s"
if ! git diff --exit-code -- index.js index.d.ts; then
  echo "index.js / index.d.ts differ from what napi generates: run 'npm run generate' in bindings-node and commit"
  exit 1
fi

# A fresh install from an empty folder: no addon in the package folder, so the first
# require builds it (npm 11 does not run the install script of an unapproved package).
rm -f sipcreds.*.node
consumer="$(mktemp -d)"
(
  cd "$consumer"
  npm init -y > /dev/null
  npm install --no-audit --no-fund --loglevel=error "$repo/bindings-node"
  node -e "
    const s = require('sipcreds')
    const out = s.validateCredential({ server: 'SIP.Example.com', transport: 'TLS' })
    if (out.port !== 5061) throw new Error('unexpected ' + JSON.stringify(out))
    console.log('require(\"sipcreds\") from an empty folder: ok, version', s.version)
  "
)
rm -rf "$consumer"

node --test test/
npx tsc -p tsconfig.json && echo "tsc --strict: examples/quickstart.ts and the .d.ts files type-check"
node bench/validate.js 2000 1
