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
    symptoms,
    validate_credential,
)
from ._native import Registry as _NativeRegistry

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
