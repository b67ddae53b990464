"""The shared conformance vectors, through `sipcreds.validate_credential`: every vector as
JSON text, and every vector that has a structured input also as a dict."""

from __future__ import annotations

import json
from typing import Any

import pytest

import sipcreds
from conftest import load_vectors

VECTORS = load_vectors()


def body_text(v: dict[str, Any]) -> str:
    return v["raw"] if "raw" in v else json.dumps(v["input"])


def check(v: dict[str, Any], body: Any) -> None:
    if "expect" in v:
        out: dict[str, Any] = dict(sipcreds.validate_credential(body))
        for key, want in v["expect"].items():
            assert out[key] == want, (v["name"], key, out)
            assert type(out[key]) is type(want), (v["name"], key)
        assert "authPassword" not in out
    else:
        with pytest.raises(sipcreds.ValidationError) as info:
            sipcreds.validate_credential(body)
        assert info.value.code == v["error"]["code"], (v["name"], info.value)
        assert info.value.field == v["error"]["field"], (v["name"], info.value)
        assert isinstance(info.value, ValueError)


def test_there_are_vectors() -> None:
    assert len(VECTORS) >= 200


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_as_text(v: dict[str, Any]) -> None:
    check(v, body_text(v))


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_as_bytes(v: dict[str, Any]) -> None:
    check(v, body_text(v).encode())


DICT_VECTORS = [v for v in VECTORS if isinstance(v.get("input"), dict)]


@pytest.mark.parametrize("v", DICT_VECTORS, ids=[v["name"] for v in DICT_VECTORS])
def test_vector_as_dict(v: dict[str, Any]) -> None:
    check(v, v["input"])
