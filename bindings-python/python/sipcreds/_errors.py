"""The exceptions of sipcreds: one base class, one subclass per kind of failure.

Every exception carries the stable ``code`` of the contract (the same on every surface),
the ``field`` it is about (the wire name, or ``None``) and a ``message`` that says how to
fix it; ``to_dict()`` is the contract's error JSON (docs/errors.md) exactly as every surface
writes it. No exception ever carries a password.

The lists between the ``generated`` markers are rendered from the core's error table
(core/src/error/codes.rs) by ``cargo xtask codegen``; do not edit them.
"""

from __future__ import annotations

import json
from typing import Any, Optional, TypeAlias

__all__ = [
    # generated: names (xtask/src/codegen.rs)
    "Error",
    "ValidationError",
    "NotFoundError",
    "ReadOnlyError",
    "InUseError",
    "ConflictError",
    "StorageError",
    "AccessError",
    "TooManyRequestsError",
    "InternalError",
    # end of generated: names
]

#: The ``usage`` of an ``in_use`` error: ``{"phoneNumbers": [...], "agents": [...]}``.
UsageDict: TypeAlias = dict[str, Any]


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
        """The contract's error JSON (docs/errors.md): ``{"error": {"code", "field", "message"}}``
        with the code's extras (``usage`` for ``in_use``, ``expectedVersion`` and
        ``actualVersion`` for ``conflict``), as the core wrote it: the same on every surface."""
        text = self.__dict__.get("_json")
        if isinstance(text, str):
            body: dict[str, Any] = json.loads(text)
            return body
        error: dict[str, Any] = {"code": self.code, "field": self.field, "message": self.message}
        usage = getattr(self, "usage", None)
        if usage is not None:
            error["usage"] = usage
        expected = getattr(self, "expected_version", None)
        if expected is not None:
            error["expectedVersion"] = expected
            error["actualVersion"] = getattr(self, "actual_version", None)
        return {"error": error}

    def __reduce__(self) -> tuple[Any, ...]:
        details = {
            k: v for k, v in self.__dict__.items() if k not in ("code", "field", "message")
        }
        return (type(self), (self.message, self.code, self.field, details))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r}, message={self.message!r})"


# generated: classes (xtask/src/codegen.rs)


class ValidationError(Error, ValueError):
    """Invalid input: a bad field value, unknown or missing field, malformed JSON, bad org, bad
    phone number, unknown symptom, or an option that does not parse. ``code`` says which.
    Codes: ``invalid_json``, ``too_large``, ``unknown_field``, ``missing_field``,
    ``invalid_name``, ``invalid_server``, ``invalid_auth_user``, ``invalid_auth_password``,
    ``incomplete_auth``, ``invalid_domain``, ``invalid_transport``, ``invalid_cps_limit``,
    ``invalid_cps_key``, ``invalid_org``, ``invalid_phone_number``, ``invalid_symptom``,
    ``invalid_option``.
    """


class NotFoundError(Error, LookupError):
    """No such object in this org (an object of another org is not found either). Codes:
    ``not_found``.
    """


class ReadOnlyError(Error):
    """The credential belongs to a connected provider and cannot be changed here. Codes:
    ``read_only``.
    """


class InUseError(Error):
    """The credential is in use; ``usage`` lists the numbers and agents that use it. Codes:
    ``in_use``.
    """

    usage: UsageDict


class ConflictError(Error):
    """The update carried an ``expectedVersion`` that is not the current version;
    ``expectedVersion`` and ``actualVersion`` say both. Codes: ``conflict``.
    """

    expected_version: int
    actual_version: int


class StorageError(Error):
    """The store failed: the file, the key, or the database. Codes: ``storage``.
    """


class AccessError(Error, PermissionError):
    """The HTTP API refused the request: no token or an unknown one (``unauthorized``), or one
    whose role or origin does not allow it (``forbidden``). Codes: ``unauthorized``,
    ``forbidden``.
    """


class TooManyRequestsError(Error):
    """The HTTP API refused the request for now: too many for the token, or a probe of the same
    credential too soon; ``retryAfterMs`` says when to retry. Codes: ``too_many_requests``.
    """

    retry_after_ms: int


class InternalError(Error):
    """Something unexpected failed in the server; the body has no detail, the server's log has
    it under the request id. Codes: ``internal``.
    """


#: The class of each code.
CLASS_OF_CODE: dict[str, type[Error]] = {
    "invalid_json": ValidationError,
    "too_large": ValidationError,
    "unknown_field": ValidationError,
    "missing_field": ValidationError,
    "invalid_name": ValidationError,
    "invalid_server": ValidationError,
    "invalid_auth_user": ValidationError,
    "invalid_auth_password": ValidationError,
    "incomplete_auth": ValidationError,
    "invalid_domain": ValidationError,
    "invalid_transport": ValidationError,
    "invalid_cps_limit": ValidationError,
    "invalid_cps_key": ValidationError,
    "invalid_org": ValidationError,
    "invalid_phone_number": ValidationError,
    "invalid_symptom": ValidationError,
    "invalid_option": ValidationError,
    "not_found": NotFoundError,
    "read_only": ReadOnlyError,
    "in_use": InUseError,
    "conflict": ConflictError,
    "storage": StorageError,
    "unauthorized": AccessError,
    "forbidden": AccessError,
    "too_many_requests": TooManyRequestsError,
    "internal": InternalError,
}
# end of generated: classes
