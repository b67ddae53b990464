"""The result-shape vectors (tests/vectors/results.json) through the Python package: every
result (``to_dict()`` of a ``Credential``) and every error (``Error.to_dict()``) written as
compact JSON in the order it came, compared byte for byte with what every surface answers."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Callable

import sipcreds

REPO = Path(__file__).resolve().parents[2]
ID = re.compile(r"(cred|agent|prov)_[0-9A-Z]{26}(?![0-9A-Z])")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


class Placeholders:
    """The scenario's ids as ``$cred1``, ``$agent1``, ``$prov1`` (in order of first appearance
    in the results), the same rule as every other runner."""

    def __init__(self) -> None:
        self.known: dict[str, str] = {}

    def input(self, value: Any) -> Any:
        if isinstance(value, str):
            for real, ph in sorted(self.known.items(), key=lambda kv: -len(kv[1])):
                value = value.replace(ph, real)
            return value
        if isinstance(value, list):
            return [self.input(v) for v in value]
        if isinstance(value, dict):
            return {k: self.input(v) for k, v in value.items()}
        return value

    def normalize(self, text: str) -> str:
        if not text.startswith('{"error"'):
            for m in ID.finditer(text):
                if m.group(0) not in self.known:
                    kind = m.group(1)
                    n = sum(1 for p in self.known.values() if re.fullmatch(rf"\${kind}\d+", p))
                    self.known[m.group(0)] = f"${kind}{n + 1}"
        for real, ph in self.known.items():
            text = text.replace(real, ph)
        return TIME.sub("$time", text)


def compact(value: Any) -> str:
    def default(o: Any) -> Any:
        return o.to_dict()

    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=default)


def operations(reg: sipcreds.Registry) -> dict[str, Callable[[dict[str, Any]], Any]]:
    return {
        "create_credential": lambda a: reg.create_credential(a["org"], a["body"]),
        "get_credential": lambda a: reg.get_credential(a["org"], a["id"]),
        "update_credential": lambda a: reg.update_credential(a["org"], a["id"], a["body"]),
        "usage": lambda a: reg.usage(a["org"], a["id"]),
        "delete_credential": lambda a: reg.delete_credential(a["org"], a["id"], force=a["force"]),
        "link_number": lambda a: reg.link_number(a["org"], a["number"], a["credentialId"]),
        "unlink_number": lambda a: reg.unlink_number(a["org"], a["number"]),
        "delete_number": lambda a: reg.delete_number(a["org"], a["number"]),
        "create_agent": lambda a: reg.create_agent(a["org"], a["name"]),
        "get_agent": lambda a: reg.get_agent(a["org"], a["id"]),
        "assign_number": lambda a: reg.assign_number(a["org"], a["agentId"], a["number"]),
        "delete_agent": lambda a: reg.delete_agent(a["org"], a["id"]),
        "connect_provider": lambda a: reg.connect_provider(a["org"], a["kind"], a["name"], a["body"]),
        "delete_provider": lambda a: reg.delete_provider(a["org"], a["id"]),
    }


def test_result_vectors_through_python() -> None:
    path = Path(os.environ.get("SIPCREDS_RESULT_VECTORS", REPO / "tests" / "vectors" / "results.json"))
    steps = json.loads(path.read_text(encoding="utf-8"))["steps"]
    assert len(steps) >= 30
    reg = sipcreds.Registry()
    ops = operations(reg)
    ids = Placeholders()
    failures = []
    for i, step in enumerate(steps, 1):
        args = ids.input({k: v for k, v in step.items() if k not in ("op", "expect")})
        try:
            got = compact(ops[step["op"]](args))
        except sipcreds.Error as e:
            got = compact(e.to_dict())
        got = ids.normalize(got)
        if got != step["expect"]:
            failures.append(f"step {i} ({step['op']}):\n   want {step['expect']}\n   got  {got}")
    assert not failures, "\n".join(failures)


def test_error_classes_follow_the_code_table() -> None:
    from sipcreds._errors import CLASS_OF_CODE

    codes = [e["code"] for e in sipcreds.list_all_errors()]
    assert sorted(CLASS_OF_CODE) == sorted(codes)
    assert issubclass(CLASS_OF_CODE["invalid_option"], ValueError)
    assert issubclass(CLASS_OF_CODE["not_found"], LookupError)
    schema = sipcreds.schema()
    assert schema["required"] == ["server"]
    assert schema["properties"]["transport"]["x-sipcreds-code"] == "invalid_transport"


def test_public_names_are_the_error_table_and_the_native_module() -> None:
    # `__all__` is composed from the generated error classes and the names the native
    # module adds (pyo3 keeps its `__all__`); every one resolves on `import *`.
    from sipcreds import _errors, _native

    assert sorted(sipcreds.__all__) == sorted([*_errors.__all__, *_native.__all__])
    assert len(set(sipcreds.__all__)) == len(sipcreds.__all__)
    from sipcreds import _shapes, types

    defined_here = {n for n, v in vars(types).items() if getattr(v, "__module__", None) == "sipcreds.types"}
    assert set(types.__all__) == set(_shapes.__all__) | defined_here | {"Body", "PatchBody"}
    ns: dict[str, object] = {}
    exec("from sipcreds import *", ns)
    assert {n for n in ns if n != "__builtins__"} == set(sipcreds.__all__)
    assert isinstance(ns["Registry"], type) and ns["Registry"] is sipcreds.Registry


def test_credential_attributes_are_the_view_fields() -> None:
    # The getters are generated from the core's credential view: one per field of to_dict().
    reg = sipcreds.Registry()
    cred = reg.create_credential("acme", {"server": "SIP.Example.com:5061", "cpsLimit": 3})
    view: dict[str, object] = dict(cred.to_dict())
    snake = {k: "".join("_" + c.lower() if c.isupper() else c for c in k) for k in view}
    for key, attr in snake.items():
        value = getattr(cred, attr)
        if key.endswith("At"):
            # Times: an aware datetime as an attribute, the contract's text in the dict.
            assert isinstance(view[key], str)
            assert value.isoformat().replace("+00:00", "Z") == view[key], attr
        else:
            assert value == view[key], attr
    props = {n for n, v in vars(sipcreds.Credential).items() if type(v).__name__ == "getset_descriptor"}
    assert props == set(snake.values())
