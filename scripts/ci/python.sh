#!/usr/bin/env bash
# The Python package as users install it: the wheel from dist/ (scripts/ci/release-and-check.sh built
# it) pip-installed into a fresh virtualenv whose PATH has no cargo or rustc, then the pytest
# suite, the stub check against the installed module, mypy --strict on the examples, the
# benchmarks and the tests, the quickstart, and the benchmark on a small set, all against the
# installed wheel. Then the contributors' source install (`pip install ./bindings-python`,
# maturin as the PEP 517 backend) into another venv, and the sdist built and installed as pip
# does where no wheel matches, each with a smoke test.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/ci/lib.sh
ROOT="$PWD"
PY="${PYTHON:-python3}"
HOST="$(host_triple)"
wheel="$(ls "$ROOT"/dist/python/sipcreds-*-manylinux*.whl)"

(
  without_rust
  VENV="$ROOT/target/ci-venv"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check pytest mypy pydantic typing_extensions
  t0=$SECONDS
  "$VENV/bin/pip" install -q --disable-pip-version-check --only-binary=:all: "$wheel"
  echo "pip install $(basename "$wheel") took $((SECONDS - t0)) s"
  cd /tmp
  "$VENV/bin/python" -c 'import sipcreds, sys; f = sipcreds.__file__; print("testing", f, sipcreds.__version__); sys.exit("not the installed wheel" if "site-packages" not in f else 0)'
  cd "$ROOT/bindings-python"
  # pytest puts tests/ (not bindings-python/ or python/) on sys.path: `import sipcreds` is the
  # installed wheel, which conftest.py prints.
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests
  (cd /tmp && "$VENV/bin/python" -m mypy.stubtest sipcreds)
  MYPYPATH="$ROOT/tests/support" "$VENV/bin/python" -m mypy --strict --no-incremental --cache-dir=/dev/null examples bench tests
  "$VENV/bin/python" examples/quickstart.py > /dev/null
  "$VENV/bin/python" bench/bench_validate.py --n 2000 --repeat 1
)

# The source install contributors use; it builds with cargo into the same release tree
# (CARGO_BUILD_TARGET names the host triple, as every release step does, and the release's
# zig environment is set), so only the module's own crate is compiled.
source scripts/zig-env.sh
zig_env "$HOST"
SRC_VENV="$ROOT/target/ci-venv-source"
rm -rf "$SRC_VENV"
"$PY" -m venv "$SRC_VENV"
t0=$SECONDS
CARGO_BUILD_TARGET="$HOST" "$SRC_VENV/bin/pip" install -q --disable-pip-version-check ./bindings-python
echo "pip install ./bindings-python (source) took $((SECONDS - t0)) s"
(cd /tmp && "$SRC_VENV/bin/python" -c '
import sipcreds
out = sipcreds.validate_credential({"server": "SIP.Example.com", "transport": "TLS"})
assert out["port"] == 5061, out
print("source install: ok,", sipcreds.__file__)
')

# The sdist, as pip builds it where no wheel matches the platform (maturin and cargo from it
# alone): into the shared release tree, so only the workspace's own crates compile again.
SDIST_VENV="$ROOT/target/ci-venv-sdist"
rm -rf "$SDIST_VENV"
"$PY" -m venv "$SDIST_VENV"
t0=$SECONDS
CARGO_BUILD_TARGET="$HOST" CARGO_TARGET_DIR="$ROOT/target" \
  "$SDIST_VENV/bin/pip" install -q --disable-pip-version-check --no-binary sipcreds "$ROOT"/dist/python/sipcreds-*.tar.gz
echo "pip install of the sdist took $((SECONDS - t0)) s"
(cd /tmp && "$SDIST_VENV/bin/python" -c '
import sipcreds
out = sipcreds.validate_credential({"server": "SIP.Example.com", "transport": "TLS"})
assert out["port"] == 5061, out
print("sdist install: ok,", sipcreds.__file__)
')
