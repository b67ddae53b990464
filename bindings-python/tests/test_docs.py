"""Every public function, class, method and attribute of the package says what it does
(``help(sipcreds.Registry)`` is the reference a Python user reads first)."""

from __future__ import annotations

import inspect

import sipcreds


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for name in sipcreds.__all__:
        obj = getattr(sipcreds, name)
        if inspect.isclass(obj):
            if not (obj.__doc__ or "").strip():
                missing.append(name)
            if issubclass(obj, BaseException):
                continue
            for attr in dir(obj):
                if attr.startswith("_"):
                    continue
                doc = getattr(inspect.getattr_static(obj, attr), "__doc__", None)
                if not isinstance(doc, str) or not doc.strip():
                    missing.append(f"{name}.{attr}")
        elif callable(obj) and not (obj.__doc__ or "").strip():
            missing.append(name)
    assert missing == [], f"no docstring: {missing}"
