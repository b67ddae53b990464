# Sourced by scripts/release.sh and the CI stages that build into its release tree.
#
# Zig is the C compiler and linker of every release build, so that the artifacts run on old
# systems and on musl from this one build machine: the glibc builds link against glibc 2.17
# (the manylinux2014 floor: RHEL/CentOS 7 and 8, Ubuntu 18.04+, Amazon Linux 2), the musl ones
# against musl 1.2 (Alpine). Zig comes from PyPI (`ziglang`), and its `cc` is driven through
# `cargo-zigbuild zig cc` (also from PyPI), which adapts rustc's linker arguments to zig.
#
# The same environment is set for every step that builds for a triple (cargo, the napi CLI,
# maturin, pip installing the source or the sdist), so the release tree's build scripts and
# C objects see one compiler and nothing is compiled twice.
#
#   zig_tools                 ziglang, cargo-zigbuild and maturin in $RELEASE_TOOLS
#   zig_env TRIPLE            CC/CXX/AR/RANLIB and the linker for TRIPLE (cargo's spelling)

# In the checkout's target/, wherever this is sourced from (the wrappers' paths are part of
# what the build scripts watch: a different path rebuilds the C objects and all above them).
RELEASE_TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/release-tools"

# The zig target of a Rust triple: the glibc floor or musl.
zig_target() {
  case "$1" in
    x86_64-unknown-linux-gnu) echo x86_64-linux-gnu.2.17 ;;
    aarch64-unknown-linux-gnu) echo aarch64-linux-gnu.2.17 ;;
    x86_64-unknown-linux-musl) echo x86_64-linux-musl ;;
    aarch64-unknown-linux-musl) echo aarch64-linux-musl ;;
    *) echo "zig-env: no zig target for $1" >&2; return 1 ;;
  esac
}

zig_tools() {
  if [ ! -x "$RELEASE_TOOLS/bin/cargo-zigbuild" ] || [ ! -x "$RELEASE_TOOLS/bin/maturin" ]; then
    "${PYTHON:-python3}" -m venv "$RELEASE_TOOLS"
    "$RELEASE_TOOLS/bin/pip" install -q --disable-pip-version-check \
      "maturin>=1.16,<2" "ziglang>=0.17,<0.18" "cargo-zigbuild>=0.24,<0.25"
  fi
}

zig_env() {
  local triple="$1" zt dir low up tool
  zt="$(zig_target "$triple")" || return 1
  dir="$(dirname "$RELEASE_TOOLS")/zig/$zt"
  low="${triple//-/_}"
  up="${low^^}"
  mkdir -p "$dir"
  # What cargo-zigbuild's own wrappers do: name the zig to run (ziglang's, through its Python),
  # then hand the arguments to `cargo-zigbuild zig TOOL`.
  for tool in cc c++ ar ranlib; do
    {
      echo '#!/bin/sh'
      echo "export CARGO_ZIGBUILD_ZIG_COMMAND='$RELEASE_TOOLS/bin/python3'"
      echo "export CARGO_ZIGBUILD_ZIG_COMMAND_ARGS='-m ziglang'"
      case "$tool" in
        cc | c++) echo "exec '$RELEASE_TOOLS/bin/cargo-zigbuild' zig $tool -- -g -fno-sanitize=all -target $zt \"\$@\"" ;;
        *) echo "exec '$RELEASE_TOOLS/bin/cargo-zigbuild' zig $tool -- \"\$@\"" ;;
      esac
    } > "$dir/$tool.new"
    chmod +x "$dir/$tool.new"
    # Rewritten only when different, so the build scripts that watch these paths see no change.
    if cmp -s "$dir/$tool.new" "$dir/$tool"; then rm "$dir/$tool.new"; else mv "$dir/$tool.new" "$dir/$tool"; fi
  done
  export "CC_$low=$dir/cc" "CXX_$low=$dir/c++" "AR_$low=$dir/ar" "RANLIB_$low=$dir/ranlib"
  export "CARGO_TARGET_${up}_LINKER=$dir/cc"
  # Cargo asks the linker to strip debug sections from release builds; zig's linker strips the
  # whole symbol table then, which uniffi-bindgen reads the bindings' metadata from. The release
  # script strips what it ships itself, keeping the symbols in dist/debug.
  export CARGO_PROFILE_RELEASE_STRIP=none
  case "$triple" in
    # A Node addon or Python module on musl is a shared library that loads the system's libc
    # (Alpine's), not one with a static libc of its own.
    *-musl) export "CARGO_TARGET_${up}_RUSTFLAGS=-C target-feature=-crt-static" ;;
  esac
}
