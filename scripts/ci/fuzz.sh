#!/usr/bin/env bash
# A short smoke run of every fuzz target over its committed corpus (long runs are for
# developers; see fuzz/README.md). cargo-fuzz needs nightly flags: RUSTC_BOOTSTRAP=1 lets the
# stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/../../fuzz"
command -v cargo-fuzz > /dev/null || cargo install cargo-fuzz --locked --quiet
export RUSTC_BOOTSTRAP=1
SECS="${FUZZ_SECONDS:-6}"
# A smoke run needs the targets to run their corpora, not to run them at full speed: CI builds
# at opt-level 1 without debug info, which takes about half as long to compile (long runs use
# fuzz/Cargo.toml's release profile; see fuzz/README.md).
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${FUZZ_OPT_LEVEL:-1}" CARGO_PROFILE_RELEASE_DEBUG="${FUZZ_DEBUG:-0}"
t0=$SECONDS
cargo fuzz build
echo "cargo fuzz build took $((SECONDS - t0)) s"
for target in credential_json patch_json server e164 registry_memory registry_ops sip_response; do
  corpus="corpus/${target/registry_memory/registry_ops}" # the two stateful targets share one
  mkdir -p "$corpus"
  # Run on a scratch copy so CI never rewrites the committed corpus.
  scratch="$(mktemp -d)"
  cp -r "$corpus/." "$scratch/"
  cargo fuzz run "$target" "$scratch" -- -max_total_time="$SECS" -print_final_stats=1 2>&1 \
    | grep -E "^(Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" || true
  rm -rf "$scratch"
  if ls "artifacts/$target"/crash-* > /dev/null 2>&1; then
    echo "fuzz target $target crashed: see fuzz/artifacts/$target"
    exit 1
  fi
done
