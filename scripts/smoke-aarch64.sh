#!/usr/bin/env bash
# Smoke test of the aarch64 artifacts of `scripts/release.sh --all-targets` on this x86_64
# machine, under qemu-user-static (Debian's, with Debian's aarch64 glibc from
# libc6-arm64-cross): the glibc CLI runs the main job's first steps on a real SQLite file.
# What qemu cannot run here is checked as files: every aarch64 library and binary is an
# aarch64 ELF, the glibc ones need nothing newer than glibc 2.17, the musl ones only musl's
# libc. Not run by CI (the aarch64 builds take as long again as the x86_64 ones).
#
#   bash scripts/release.sh --all-targets && bash scripts/smoke-aarch64.sh [DIST]
set -euo pipefail
cd "$(dirname "$0")/.."
DIST="${1:-dist}"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"

if ! command -v qemu-aarch64-static > /dev/null || [ ! -d /usr/aarch64-linux-gnu/lib ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static libc6-arm64-cross > /dev/null
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Every file of the aarch64 artifacts that is an ELF: its machine, and its libc needs.
check_elf() {
  local f="$1" libc="$2" newest
  readelf -h "$f" | grep -q 'Machine:.*AArch64' || { echo "$f is not an aarch64 ELF"; exit 1; }
  case "$libc" in
    gnu)
      newest="$(readelf -V "$f" | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2 -n -u | tail -n 1)"
      case "$newest" in GLIBC_2.1[0-7] | GLIBC_2.[0-9] | "") ;; *) echo "$f needs $newest (> 2.17)"; exit 1 ;; esac
      echo "ok: $(basename "$f"): aarch64, glibc ${newest#GLIBC_} at most"
      ;;
    musl)
      if readelf -d "$f" | grep NEEDED | grep -v -E '\[(libc\.so|libc\.musl-aarch64\.so\.1)\]'; then
        echo "$f needs more than musl's libc"; exit 1
      fi
      echo "ok: $(basename "$f"): aarch64, musl's libc only"
      ;;
  esac
}

for libc in gnu musl; do
  triple="aarch64-unknown-linux-$libc"
  mkdir -p "$work/$libc"
  tar -C "$work/$libc" -xzf "$DIST/cli/sipcreds-cli-$VERSION-$triple.tar.gz"
  tar -C "$work/$libc" -xzf "$DIST/c/sipcreds-c-$VERSION-$triple.tar.gz"
  check_elf "$work/$libc/sipcreds-cli-$VERSION-$triple/bin/sipcreds" "$libc"
  check_elf "$work/$libc/sipcreds-c-$VERSION-$triple/lib/libsipcreds.so.$VERSION" "$libc"
done
platform_gnu=linux-arm64-gnu
platform_musl=linux-arm64-musl
for libc in gnu musl; do
  p="platform_$libc"
  tar -C "$work/$libc" -xzf "$DIST/node/sipcreds-${!p}-$VERSION.tgz"
  check_elf "$work/$libc/package/sipcreds.${!p}.node" "$libc"
done
for wheel in "$DIST"/python/sipcreds-*aarch64*.whl; do
  case "$wheel" in *musllinux*) libc=musl ;; *) libc=gnu ;; esac
  rm -rf "$work/wheel" && python3 -m zipfile -e "$wheel" "$work/wheel"
  check_elf "$(ls "$work"/wheel/sipcreds/*.so)" "$libc"
done

# The glibc CLI under qemu: validate, create and list on a SQLite file, the error table.
cli=(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$work/gnu/sipcreds-cli-$VERSION-aarch64-unknown-linux-gnu/bin/sipcreds")
"${cli[@]}" --version
echo '{"server":"SIP.Example.com","transport":"TLS"}' | "${cli[@]}" validate --json | grep -q '"port": *5061'
export SIPCREDS_DB="$work/sipcreds.db" SIPCREDS_ORG=acme
echo '{"server":"sip.example.com","name":"Main","cpsLimit":5}' | "${cli[@]}" credentials create --json > /dev/null
"${cli[@]}" credentials list
[ "$("${cli[@]}" credentials count)" = 1 ]
"${cli[@]}" acquire Main --json | grep -q '"admitted": *true'
[ "$("${cli[@]}" codes --json | grep -c '"code"')" -gt 20 ]
echo "ok: the aarch64 glibc CLI ran validate, credentials create/list/count, acquire and codes under qemu"
