"""sipcreds: SIP trunk credentials for voice platforms.

Strict validation and normalization of the credential wire format, a registry of
credentials, phone numbers, agents and providers (in memory or in an embedded SQLite file),
calls-per-second rate limiting, lint findings and troubleshooting, on one Rust core.

    >>> import sipcreds
    >>> sipcreds.validate_credential({"server": "SIP.Example.com:5061", "transport": "TLS"})["server"]
    'sip.example.com:5061'
"""

from __future__ import annotations

import asyncio
import os
from typing import Optional, Union

from ._errors import (
    ConflictError,
    Error,
    InUseError,
    NotFoundError,
    ReadOnlyError,
    StorageError,
    ValidationError,
)
from ._native import (
    MAX_BODY_BYTES,
    Credential,
    Decision,
    __version__,
    diagnose,
    lint_credential,
    list_all_errors,
    schema,
    symptoms,
    validate_credential,
)
from ._native import Registry as _NativeRegistry
from .types import ProbeOptions, ProbeReport

# The public names: the generated error classes' and the native module's (pyo3 keeps its
# `__all__`); written out for type checkers, which do not follow `+=` of another module's,
# and held equal to the two by test_results.py.
__all__ = [
    "MAX_BODY_BYTES",
    "ConflictError",
    "Credential",
    "Decision",
    "Error",
    "InUseError",
    "NotFoundError",
    "ReadOnlyError",
    "Registry",
    "StorageError",
    "ValidationError",
    "__version__",
    "diagnose",
    "lint_credential",
    "list_all_errors",
    "schema",
    "symptoms",
    "validate_credential",
]


class Registry(_NativeRegistry):
    """The registry of every org: credentials, phone numbers, agents, providers and their
    rate limits.

    ``Registry()`` keeps everything in memory; ``Registry("sipcreds.db")`` uses the embedded
    SQLite file (created on first use, with its key file ``sipcreds.key`` beside it unless
    ``SIPCREDS_KEY`` is set); ``Registry("postgres://user@host/db")`` uses PostgreSQL, shared
    by several instances (key in ``SIPCREDS_KEY``). ``limiter="file"`` shares the rate limits
    with every process that opens the same SQLite file that way; ``limiter="redis://host:6379"``
    shares them with every instance through Redis (``?fallback=refuse``, the default, or
    ``?fallback=local:N`` for when Redis cannot be reached); the default ``"process"`` keeps
    them in memory.

    One object is safe to share between threads; store work and rate-limit waits release
    the GIL.
    """

    def probe(
        self,
        org: str,
        id: str,
        options: Optional[ProbeOptions] = None,
        *,
        timeout: Optional[float] = None,
        register: Optional[bool] = None,
        ca_file: Union[str, "os.PathLike[str]", None] = None,
        nameserver: Optional[str] = None,
        local_address: Optional[str] = None,
        trace: Optional[bool] = None,
    ) -> ProbeReport:
        """The live probe (SPEC §12) of the stored credential ``id``: resolve (RFC 3263),
        connect (UDP, TCP, or verified TLS), send OPTIONS and a Contact-less REGISTER (a binding
        query: nothing is registered) answering one digest challenge, and report the outcome
        (``ok``, ``auth_rejected``, ``realm_mismatch``, ``timeout``, ...) with timed steps and
        the causes and fixes of ``diagnose``. The GIL is released while it runs.

        Options are the §12 names in ``options`` (``timeout``, ``register``, ``caFile``,
        ``nameserver``, ``localAddress``, ``trace``) or the keywords. A probe that fails is a report;
        ``NotFoundError`` and ``ValidationError`` (``invalid_option``) are for what stops it
        from starting."""
        merged: dict[str, object] = dict(options or {})
        for key, value in (
            ("timeout", timeout),
            ("register", register),
            ("caFile", os.fspath(ca_file) if ca_file is not None else None),
            ("nameserver", nameserver),
            ("localAddress", local_address),
            ("trace", trace),
        ):
            if value is not None:
                merged[key] = value
        return super().probe(org, id, merged or None)  # type: ignore[arg-type]

    async def probe_async(
        self,
        org: str,
        id: str,
        options: Optional[ProbeOptions] = None,
        *,
        timeout: Optional[float] = None,
        register: Optional[bool] = None,
        ca_file: Union[str, "os.PathLike[str]", None] = None,
        nameserver: Optional[str] = None,
        local_address: Optional[str] = None,
        trace: Optional[bool] = None,
    ) -> ProbeReport:
        """``probe`` in a worker thread, so the event loop never blocks."""
        return await asyncio.to_thread(
            self.probe,
            org,
            id,
            options,
            timeout=timeout,
            register=register,
            ca_file=ca_file,
            nameserver=nameserver,
            local_address=local_address,
        )

    async def reserve_async(self, org: str, credential_id: str, max_wait: float) -> Decision:
        """``reserve`` in a worker thread (the first decision of an org may read the store),
        so the event loop never blocks."""
        return await asyncio.to_thread(self.reserve, org, credential_id, max_wait)

    async def acquire_async(self, org: str, credential_id: str, max_wait: float) -> Decision:
        """Book the next slot, then ``await asyncio.sleep`` until it: returns when the caller
        may dial (admitted), or at once when the wait would exceed ``max_wait`` seconds."""
        decision = await self.reserve_async(org, credential_id, max_wait)
        wait = decision.wait
        if wait:
            await asyncio.sleep(wait)
        return decision
