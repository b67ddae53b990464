#!/usr/bin/env bash
# The one release build (scripts/release.sh: dist/ with the wheel and sdist, the npm package,
# the C archive, the CLI archive, SHA256SUMS), then the checks on it:
# - the generated files (sipcreds.h from cbindgen, index.js / index.d.ts from the napi CLI)
#   match the committed ones;
# - no crate was compiled twice in the release tree (each step after the first compiled only
#   its own crate: the features agree, see workspace-hack/Cargo.toml);
# - the wheel's platform tag (auditwheel show) is a manylinux one, abi3;
# - every artifact is in SHA256SUMS and matches it.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/lib.sh
HOST="$(host_triple)"

bash scripts/release.sh

drift=0
if ! git diff --exit-code -- bindings-ffi/include/sipcreds.h; then
  echo "bindings-ffi/include/sipcreds.h differs from what cbindgen generates: run 'make -C bindings-ffi header' and commit"
  drift=1
fi
if ! git diff --exit-code -- bindings-node/index.js bindings-node/index.d.ts; then
  echo "index.js / index.d.ts differ from what napi generates: run 'npm run generate' in bindings-node and commit"
  drift=1
fi
[ "$drift" = 0 ]

# One build: in target/TRIPLE/release/deps each library has as many rlibs as the lock file
# has versions of it. (CI's release tree is fresh; an incremental developer tree keeps old ones.)
cargo metadata --locked --format-version 1 > target/metadata.json
python3 - "target/$HOST/release/deps" target/metadata.json <<'PY'
import collections, json, os, re, sys
versions = collections.Counter()
for p in json.load(open(sys.argv[2]))["packages"]:
    for t in p["targets"]:
        if any(k in ("lib", "rlib", "proc-macro") for k in t["kind"]):
            versions[t["name"].replace("-", "_")] += 1
built = collections.Counter()
for f in os.listdir(sys.argv[1]):
    m = re.fullmatch(r"lib(.+)-[0-9a-f]{16}\.rlib", f)
    if m:
        built[m.group(1)] += 1
twice = sorted(f"{name} ({n} builds, {versions[name]} versions locked)" for name, n in built.items() if n > versions[name])
if twice:
    print("compiled more than once in the release tree (features differ between the release steps; "
          "add them to workspace-hack/Cargo.toml):\n  " + "\n  ".join(twice))
    sys.exit(1)
print(f"one build: {sum(built.values())} rlibs in the release tree, none compiled twice")
PY

TOOLS=target/release-tools
"$TOOLS/bin/pip" install -q --disable-pip-version-check "auditwheel>=6"
wheel="$(ls dist/python/*.whl)"
"$TOOLS/bin/auditwheel" show "$wheel" | tee target/auditwheel.txt
tr -s '\n ' ' ' < target/auditwheel.txt | grep -Eq 'platform tag: "manylinux_2_[0-9]+_x86_64"' \
  || { echo "auditwheel: the wheel is not a manylinux wheel"; exit 1; }
case "$(basename "$wheel")" in *-cp310-abi3-manylinux_*) ;; *) echo "wheel name $(basename "$wheel") is not abi3 manylinux"; exit 1 ;; esac
(cd dist && sha256sum -c --quiet SHA256SUMS) && echo "SHA256SUMS: every artifact matches"
n_listed="$(wc -l < dist/SHA256SUMS)"
n_files="$(find dist -type f ! -name SHA256SUMS | wc -l)"
[ "$n_listed" = "$n_files" ] || { echo "SHA256SUMS lists $n_listed files, dist has $n_files"; exit 1; }
ls -l dist/*/
