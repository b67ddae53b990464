#!/usr/bin/env bash
# The C library as users install it: dist/c/sipcreds-c-*.tar.gz (scripts/ci/release-and-check.sh made it)
# unpacked into a folder, then, with no cargo or rustc on PATH, the C tests compiled against it
# through its pkg-config file and run plain, under valgrind and under AddressSanitizer + UBSan
# (statically linked). Then the uniffi interface: the Swift, Kotlin and Python bindings
# generated from the release tree's library (library mode) and the Python smoke scenario.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/lib.sh
ROOT="$PWD"
HOST="$(host_triple)"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"

need=()
command -v gcc > /dev/null || need+=(gcc)
command -v valgrind > /dev/null || need+=(valgrind)
command -v pkg-config > /dev/null || need+=(pkg-config)
if [ ${#need[@]} -ne 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" > /dev/null
fi

archive="$(ls "$ROOT"/dist/c/sipcreds-c-*.tar.gz)"
(
  without_rust
  unpacked="$ROOT/target/ci-c-installed"
  rm -rf "$unpacked" && mkdir -p "$unpacked"
  tar -C "$unpacked" -xzf "$archive"
  prefix="$(ls -d "$unpacked"/sipcreds-c-*)"
  echo "testing the archive $(basename "$archive") unpacked in $prefix"
  got="$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --modversion sipcreds)"
  [ "$got" = "$VERSION" ] || { echo "sipcreds.pc says $got, Cargo.toml $VERSION"; exit 1; }
  for f in lib/libsipcreds.so lib/libsipcreds.a include/sipcreds.h LICENSE-MIT LICENSE-APACHE; do
    [ -f "$prefix/$f" ] || { echo "$f missing from the archive"; exit 1; }
  done
  # The SONAME and its link; the shared library stripped, its symbols in dist/debug.
  soname="$(readelf -d "$prefix/lib/libsipcreds.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
  [ "$soname" = "libsipcreds.so.0" ] || { echo "SONAME is '$soname', not libsipcreds.so.0"; exit 1; }
  [ -L "$prefix/lib/libsipcreds.so.0" ] || { echo "lib/libsipcreds.so.0 is not a symlink"; exit 1; }
  if readelf -S "$prefix/lib/libsipcreds.so.$VERSION" | grep -q '\.symtab'; then
    echo "libsipcreds.so.$VERSION is not stripped"; exit 1
  fi
  [ -s "$ROOT/dist/debug/libsipcreds.so.$VERSION.debug" ] || { echo "no debug file for libsipcreds.so"; exit 1; }
  echo "libsipcreds.so: SONAME $soname, stripped ($(du -h "$prefix/lib/libsipcreds.so.$VERSION" | cut -f1)), libsipcreds.a $(du -h "$prefix/lib/libsipcreds.a" | cut -f1)"
  make -C bindings-ffi test PREBUILT=1 PREFIX="$prefix" BUILD="$ROOT/target/ci-c-test" CC=gcc
  # A program linked with -lsipcreds loads it by its SONAME.
  needed="$(readelf -d "$ROOT/target/ci-c-test/test_sipcreds" | grep -c 'NEEDED.*libsipcreds.so.0' || true)"
  [ "$needed" = 1 ] || { echo "test_sipcreds does not load libsipcreds.so.0"; exit 1; }
)

REL="target/$HOST/release"
VENV=target/ci-uniffi-venv
[ -x "$VENV/bin/uniffi-bindgen" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check uniffi-bindgen==0.31.0; }
OUT=target/uniffi
rm -rf "$OUT"
for lang in swift kotlin python; do
  "$VENV/bin/uniffi-bindgen" generate --no-format --library "$REL/libsipcreds_uniffi.so" --language "$lang" --out-dir "$OUT/$lang"
done
ls "$OUT"/swift/sipcreds_uniffi.swift "$OUT"/kotlin/uniffi/sipcreds_uniffi/sipcreds_uniffi.kt "$OUT"/python/sipcreds_uniffi.py
cp "$REL/libsipcreds_uniffi.so" "$OUT/python/"
python3 bindings-ffi/uniffi/tests/smoke.py "$OUT/python"
