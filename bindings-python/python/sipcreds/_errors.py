"""The exceptions of sipcreds: one base class, one subclass per kind of failure.

Every exception carries the stable ``code`` of the contract (the same on every surface),
the ``field`` it is about (the wire name, or ``None``) and a ``message`` that says how to
fix it. No exception ever carries a password.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "Error",
    "ValidationError",
    "NotFoundError",
    "ReadOnlyError",
    "InUseError",
    "ConflictError",
    "StorageError",
]


class Error(Exception):
    """Base class of every sipcreds error."""

    code: str
    field: Optional[str]
    message: str

    def __init__(
        self,
        message: str,
        code: str,
        field: Optional[str] = None,
        details: Optional[dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        for key, value in (details or {}).items():
            setattr(self, key, value)

    def to_dict(self) -> dict[str, Any]:
        """The contract's error JSON: ``{"error": {"code", "field", "message"}}``."""
        body: dict[str, Any] = {"code": self.code, "field": self.field, "message": self.message}
        usage = getattr(self, "usage", None)
        if usage is not None:
            body["usage"] = usage
        return {"error": body}

    def __reduce__(self) -> tuple[Any, ...]:
        details = {
            k: v for k, v in self.__dict__.items() if k not in ("code", "field", "message")
        }
        return (type(self), (self.message, self.code, self.field, details))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, message={self.message!r})"


class ValidationError(Error, ValueError):
    """Invalid input: a bad field value, unknown or missing field, malformed JSON, bad org,
    bad phone number or unknown symptom. ``code`` says which."""


class NotFoundError(Error, LookupError):
    """No such object in this org (an object of another org is not found either)."""


class ReadOnlyError(Error):
    """The credential belongs to a connected provider and cannot be changed here."""


class InUseError(Error):
    """The credential is in use; ``usage`` lists the numbers and agents that use it."""

    usage: dict[str, Any]


class ConflictError(Error):
    """The update carried an ``expectedVersion`` that is not the current version."""

    expected_version: int
    actual_version: int


class StorageError(Error):
    """The store failed: the file, the key, or the database."""
