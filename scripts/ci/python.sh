#!/usr/bin/env bash
# The Python package: build and pip-install it into a fresh virtualenv (maturin is its PEP 517
# build backend, so `pip install ./bindings-python` is the whole build), then run the pytest
# suite, check the committed stubs against the built module, type-check the examples, run
# the quickstart, and run the benchmark on a small set (both validators must agree).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PYTHON:-python3}"
VENV=target/ci-venv
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check pytest mypy pydantic typing_extensions
echo "building the wheel (release) and installing it"
t0=$SECONDS
"$VENV/bin/pip" install -q --disable-pip-version-check ./bindings-python
echo "pip install ./bindings-python took $((SECONDS - t0)) s"
cd bindings-python
# Run from outside the source tree so that `import sipcreds` is the installed package.
"../$VENV/bin/python" -m pytest -q -p no:cacheprovider tests
(cd /tmp && "$OLDPWD/../$VENV/bin/python" -m mypy.stubtest sipcreds)
"../$VENV/bin/python" -m mypy --strict --no-incremental --cache-dir=/dev/null examples bench tests
"../$VENV/bin/python" examples/quickstart.py > /dev/null
"../$VENV/bin/python" bench/bench_validate.py --n 2000 --repeat 1
