#!/usr/bin/env bash
# One version number on every surface (semver): the Cargo workspace's is the source; the
# Python project, the npm package (and its lock file) must carry the same, and CHANGELOG.md must
# have a section for it or an [Unreleased] one. Exits 1 naming the file that differs.
set -euo pipefail
cd "$(dirname "$0")/.."
want="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
if ! [[ "$want" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "Cargo.toml: workspace version '$want' is not semver"; exit 1
fi
bad=0
check() {
  if [ "$2" != "$want" ]; then echo "$1: version '$2', but Cargo.toml says '$want'"; bad=1; fi
}
check bindings-python/pyproject.toml "$(sed -n 's/^version = "\(.*\)"/\1/p' bindings-python/pyproject.toml | head -n 1)"
check bindings-node/package.json "$(node -p 'require("./bindings-node/package.json").version')"
check bindings-node/package-lock.json "$(node -p 'require("./bindings-node/package-lock.json").version')"
# (fuzz/ is its own unpublished workspace.)
for manifest in $(git ls-files '*Cargo.toml' | grep -v -e '^Cargo.toml$' -e '^fuzz/'); do
  if grep -q '^version = "' "$manifest"; then
    check "$manifest" "$(sed -n 's/^version = "\(.*\)"/\1/p' "$manifest" | head -n 1)"
  fi
done
grep -Eq "^## \[($want|Unreleased)\]" CHANGELOG.md || { echo "CHANGELOG.md: no section for $want"; bad=1; }
[ "$bad" = 0 ] && echo "version $want on every surface"
exit "$bad"
