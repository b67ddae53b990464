"""The typed inputs (``CredentialInput``, ``CredentialPatch``, generated from the core's input
schema) catch what the library would refuse, before it runs: ``mypy --strict`` on
typecheck/bad_input.py reports each wrong line, and the well-typed examples pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent.parent


def test_misspelt_keys_and_wrong_types_fail_mypy_strict() -> None:
    try:
        import mypy  # noqa: F401
    except ImportError:
        pytest.skip("mypy is not installed")
    bad = HERE / "typecheck" / "bad_input.py"
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", str(bad)],
        capture_output=True,
        text=True,
        cwd="/tmp",
    )
    assert out.returncode == 1, out.stdout + out.stderr
    lines = bad.read_text().splitlines()
    for marker in ("E1", "E2", "E3", "E4"):
        line = next(i + 1 for i, l in enumerate(lines) if f"# {marker}:" in l)
        assert f"bad_input.py:{line}: error" in out.stdout, f"{marker} (line {line}) passed:\n{out.stdout}"
    assert "Found 4 errors" in out.stdout, out.stdout
