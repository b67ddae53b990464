#!/usr/bin/env bash
# The one release build (scripts/release.sh: dist/ with the wheels and sdist, the npm packages,
# the C archive, the CLI archive, SHA256SUMS), then the checks on it:
# - the generated files (sipcreds.h from cbindgen, index.js / index.d.ts from the napi CLI)
#   match the committed ones;
# - no crate was compiled twice in the release tree (each step after the first compiled only
#   its own crate: the features agree, see workspace-hack/Cargo.toml);
# - the wheels' platform tags (auditwheel show): manylinux_2_17 (glibc 2.17+) and musllinux_1_2,
#   both abi3; the musl Node addon and the musl wheel's module opened by musl's loader;
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
for triple in "$HOST" x86_64-unknown-linux-musl; do
python3 - "target/$triple/release/deps" target/metadata.json <<'PY'
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
print(f"one build: {sum(built.values())} rlibs in {sys.argv[1]}, none compiled twice")
PY
done

TOOLS=target/release-tools
"$TOOLS/bin/pip" install -q --disable-pip-version-check "auditwheel>=6"
# The glibc wheel runs on glibc 2.17 and later (manylinux2014): auditwheel reads the symbol
# versions it needs.
wheel="$(ls dist/python/sipcreds-*-manylinux*.whl)"
"$TOOLS/bin/auditwheel" show "$wheel" | tee target/auditwheel.txt
tr -s '\n ' ' ' < target/auditwheel.txt | grep -q 'platform tag: "manylinux_2_17_x86_64"' \
  || { echo "auditwheel: $(basename "$wheel") is not a manylinux_2_17 wheel"; exit 1; }
# The musl wheel: auditwheel cannot analyse it on a glibc system (it looks for musl's loader),
# so its tags are read from the wheel, and the module is opened by musl's loader below.
musl_wheel="$(ls dist/python/sipcreds-*-musllinux*.whl)"
for w in "$wheel" "$musl_wheel"; do
  case "$(basename "$w")" in *-cp310-abi3-*) ;; *) echo "wheel name $(basename "$w") is not abi3"; exit 1 ;; esac
done
unzip -p "$musl_wheel" 'sipcreds-*.dist-info/WHEEL' | grep -x 'Tag: cp310-abi3-musllinux_1_2_x86_64' \
  || { echo "$(basename "$musl_wheel"): not tagged cp310-abi3-musllinux_1_2_x86_64"; exit 1; }

# The musl artifacts, as far as this Debian machine can run them: no musl Node or CPython is
# packaged here, so a program built with musl-gcc and run by musl's loader opens the Node addon
# and the wheel's module as those would, after start and binding everything at once
# (scripts/ci/musl_load.c); Node's and CPython's own symbols are placeholders. This found the
# initial-exec thread-locals of mimalloc, which musl refuses in such a library. Each must need
# nothing but musl's libc.
if ! command -v musl-gcc > /dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl musl-tools > /dev/null
fi
musl-gcc -O1 -o target/musl_load scripts/ci/musl_load.c
check_musl_library() {
  local lib="$1" entry="$2" host_symbols="$3" needed stubs
  needed="$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
  echo "$(basename "$lib"): needs $needed"
  for n in $needed; do
    # musl's loader answers libc.so (and libc.musl-x86_64.so.1) with itself.
    case "$n" in libc.so | libc.musl-x86_64.so.1) ;; *) echo "$(basename "$lib") needs $n, which Alpine does not have by default"; exit 1 ;; esac
  done
  # Placeholders for what the host program exports (Node's napi_*, CPython's Py*).
  stubs="target/musl-check/$(basename "$lib").stubs"
  nm -D --undefined-only "$lib" | awk '{print $NF}' | grep -E "$host_symbols" \
    | sed 's/.*/char &[16];/' > "$stubs.c"
  echo "$(basename "$lib"): $(wc -l < "$stubs.c") symbols from the host program"
  musl-gcc -shared -fPIC -o "$stubs.so" "$stubs.c"
  target/musl_load "$PWD/$stubs.so" "$lib" "$entry"
}
musl_pkg="$(ls dist/node/sipcreds-linux-x64-musl-*.tgz)"
rm -rf target/musl-check && mkdir -p target/musl-check/node target/musl-check/python
tar -C target/musl-check/node -xzf "$musl_pkg"
check_musl_library target/musl-check/node/package/sipcreds.linux-x64-musl.node napi_register_module_v1 '^napi_'
python3 -m zipfile -e "$musl_wheel" target/musl-check/python
check_musl_library "$(ls target/musl-check/python/sipcreds/*.so)" PyInit__native '^_?Py'
# The main npm package names the musl one as optional, at the same version.
tar -xzOf "$(ls dist/node/sipcreds-[0-9]*.tgz)" package/package.json | node -e '
  const pkg = JSON.parse(require("fs").readFileSync(0, "utf8"))
  const want = pkg.optionalDependencies?.["sipcreds-linux-x64-musl"]
  if (want !== pkg.version) { console.error("sipcreds does not name sipcreds-linux-x64-musl@" + pkg.version); process.exit(1) }
  console.log("sipcreds@" + pkg.version + " names sipcreds-linux-x64-musl@" + want + " as optional")'
tar -xzOf "$musl_pkg" package/package.json | node -e '
  const pkg = JSON.parse(require("fs").readFileSync(0, "utf8"))
  const ok = pkg.os?.[0] === "linux" && pkg.cpu?.[0] === "x64" && pkg.libc?.[0] === "musl"
  if (!ok) { console.error("sipcreds-linux-x64-musl: os/cpu/libc are " + JSON.stringify([pkg.os, pkg.cpu, pkg.libc])); process.exit(1) }
  console.log(pkg.name + ": os linux, cpu x64, libc musl")'
(cd dist && sha256sum -c --quiet SHA256SUMS) && echo "SHA256SUMS: every artifact matches"
n_listed="$(wc -l < dist/SHA256SUMS)"
n_files="$(find dist -type f ! -name SHA256SUMS | wc -l)"
[ "$n_listed" = "$n_files" ] || { echo "SHA256SUMS lists $n_listed files, dist has $n_files"; exit 1; }
ls -l dist/*/
