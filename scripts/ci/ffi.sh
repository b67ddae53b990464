#!/usr/bin/env bash
# The C ABI and the uniffi interface: regenerate sipcreds.h with cbindgen and fail on a diff,
# build and install libsipcreds with its pkg-config file, run the C tests plain, under
# valgrind and under AddressSanitizer + UBSan, then generate the Swift, Kotlin and Python
# bindings with uniffi-bindgen (library mode) and run the Python smoke scenario.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v gcc > /dev/null || need+=(gcc)
command -v valgrind > /dev/null || need+=(valgrind)
command -v pkg-config > /dev/null || need+=(pkg-config)
if [ ${#need[@]} -ne 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" > /dev/null
fi

cargo build --locked -p sipcreds-ffi --features generate-header
if ! git diff --exit-code -- bindings-ffi/include/sipcreds.h; then
  echo "bindings-ffi/include/sipcreds.h differs from what cbindgen generates: run 'make -C bindings-ffi header' and commit"
  exit 1
fi

make -C bindings-ffi test CC=gcc

cargo build --locked --release -p sipcreds-uniffi
VENV=target/ci-uniffi-venv
[ -x "$VENV/bin/uniffi-bindgen" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check uniffi-bindgen==0.31.0; }
OUT=target/uniffi
rm -rf "$OUT"
for lang in swift kotlin python; do
  "$VENV/bin/uniffi-bindgen" generate --no-format --library target/release/libsipcreds_uniffi.so --language "$lang" --out-dir "$OUT/$lang"
done
ls "$OUT"/swift/sipcreds_uniffi.swift "$OUT"/kotlin/uniffi/sipcreds_uniffi/sipcreds_uniffi.kt "$OUT"/python/sipcreds_uniffi.py
cp target/release/libsipcreds_uniffi.so "$OUT/python/"
python3 bindings-ffi/uniffi/tests/smoke.py "$OUT/python"
