# Sourced by the CI stage scripts.

# Strips from PATH every directory that holds cargo or rustc (rustup's ~/.cargo/bin, a
# system toolchain), so that what runs next is what a user without Rust has: installing and
# testing a release artifact must compile nothing.
without_rust() {
  local dir kept=()
  local IFS=:
  for dir in $PATH; do
    [ -n "$dir" ] || continue
    if [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ]; then continue; fi
    kept+=("$dir")
  done
  PATH="${kept[*]}"
  export PATH
  unset CARGO RUSTC RUSTUP_TOOLCHAIN CARGO_HOME RUSTUP_HOME
  if command -v cargo > /dev/null || command -v rustc > /dev/null; then
    echo "without_rust: cargo or rustc still on PATH" >&2
    return 1
  fi
  echo "PATH has no cargo or rustc: $PATH"
}

host_triple() { rustc -vV | sed -n 's/^host: //p'; }
