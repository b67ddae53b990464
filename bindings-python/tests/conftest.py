from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
# The SIP peers shared with the dashboard's browser tests (tests/support/sip_peers.py).
sys.path.insert(0, str(REPO / "tests" / "support"))


def load_vectors() -> list[dict[str, Any]]:
    path = Path(os.environ.get("SIPCREDS_VECTORS", REPO / "tests" / "vectors" / "credentials.json"))
    vectors: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return vectors


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SIPCREDS_KEY", raising=False)
    return tmp_path / "sipcreds.db"


def pytest_report_header(config: pytest.Config) -> str:
    """Which sipcreds the suite tests: CI runs it against the installed wheel."""
    import sipcreds

    return f"sipcreds {sipcreds.__version__} from {Path(sipcreds.__file__).parent}"
