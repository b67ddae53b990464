#!/usr/bin/env bash
# The dashboard in a real browser: Debian's Chromium (installed here if missing) driven by
# Playwright for Python (PyPI, in a virtualenv made here; never `playwright install`, which
# downloads a browser from outside the registries), against the installed CLI's `serve`
# (dist/cli) on a fresh SQLite store and a real Kamailio, with axe-core (npm) for the
# accessibility check. The tests (server/tests/dashboard) also write the README's
# screenshots (docs/screenshots).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
source scripts/ci/lib.sh

if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium >&2
fi
/usr/bin/chromium --version

venv="$ROOT/target/ci-dashboard-venv"
[ -x "$venv/bin/pytest" ] && "$venv/bin/python" -c 'import playwright' 2> /dev/null || {
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "playwright>=1.65,<2" "pytest>=8"
}
npm_dir="$ROOT/target/ci-dashboard-npm"
axe="$npm_dir/node_modules/axe-core/axe.min.js"
[ -s "$axe" ] || npm install --silent --no-save --no-audit --no-fund --prefix "$npm_dir" "axe-core@~4.14"
test -s "$axe"

without_rust
work="$ROOT/target/ci-dashboard"
rm -rf "$work" && mkdir -p "$work"
tar -C "$work" -xzf "$(ls "$ROOT"/dist/cli/sipcreds-cli-*.tar.gz)"
export SIPCREDS_BIN="$(ls "$work"/sipcreds-cli-*/bin/sipcreds)"
export SIPCREDS_AXE="$axe" SIPCREDS_CHROMIUM=/usr/bin/chromium
export SIPCREDS_REQUIRE_SERVICES=1
"$venv/bin/python" -m pytest -q -p no:cacheprovider server/tests/dashboard "$@"
