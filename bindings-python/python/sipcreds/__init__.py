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
from typing import AsyncIterator, Iterator, Optional, Union

from ._errors import (
    AccessError,
    ConflictError,
    Error,
    InUseError,
    NotFoundError,
    ReadOnlyError,
    InternalError,
    StorageError,
    TooManyRequestsError,
    ValidationError,
)
from ._native import (
    MAX_BODY_BYTES,
    Credential,
    Decision,
    ProbeReports,
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
    "AccessError",
    "ConflictError",
    "Credential",
    "Decision",
    "Error",
    "InUseError",
    "InternalError",
    "NotFoundError",
    "ProbeReports",
    "ReadOnlyError",
    "Registry",
    "StorageError",
    "TooManyRequestsError",
    "ValidationError",
    "__version__",
    "diagnose",
    "lint_credential",
    "list_all_errors",
    "schema",
    "symptoms",
    "validate_credential",
]


def _probe_options(
    options: Optional[ProbeOptions],
    timeout: Optional[float],
    register: Optional[bool],
    ca_file: Union[str, "os.PathLike[str]", None],
    nameserver: Optional[str],
    local_address: Optional[str],
    trace: Optional[bool],
) -> Optional[ProbeOptions]:
    """The docs/probe.md options of a probe call: ``options`` with the keywords given over them."""
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
    return merged or None  # type: ignore[return-value]


def _settle(future: "asyncio.Future[ProbeReport]", report: ProbeReport) -> None:
    """Set a probe's result unless its awaiter was cancelled meanwhile."""
    if not future.done():
        future.set_result(report)


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
        """The live probe (docs/probe.md) of the stored credential ``id``: resolve (RFC 3263),
        connect (UDP, TCP, or verified TLS), send OPTIONS and a Contact-less REGISTER (a binding
        query: nothing is registered) answering one digest challenge, and report the outcome
        (``ok``, ``auth_rejected``, ``realm_mismatch``, ``timeout``, ...) with timed steps and
        the causes and fixes of ``diagnose``. The GIL is released while it runs.

        Options are the probe option names in ``options`` (``timeout``, ``register``, ``caFile``,
        ``nameserver``, ``localAddress``, ``trace``) or the keywords. A probe that fails is a
        report; ``NotFoundError`` and ``ValidationError`` (``invalid_option``) are for what
        stops it from starting."""
        merged = _probe_options(options, timeout, register, ca_file, nameserver, local_address, trace)
        return super().probe(org, id, merged)

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
        """``probe`` without a thread: the probe waits on its sockets on sipcreds' shared
        async runtime, and this coroutine awaits its report, so a hundred concurrent probes
        take one budget and the event loop (and every other call) goes on meanwhile. If the
        awaiting task is cancelled, the probe still ends within its budget."""
        merged = _probe_options(options, timeout, register, ca_file, nameserver, local_address, trace)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ProbeReport] = loop.create_future()

        def done(report: ProbeReport) -> None:
            loop.call_soon_threadsafe(_settle, future, report)

        super()._probe_start(org, id, merged, done)
        return await future

    def probe_all(
        self,
        org: str,
        options: Optional[ProbeOptions] = None,
        *,
        concurrency: int = 16,
        timeout: Optional[float] = None,
        register: Optional[bool] = None,
        ca_file: Union[str, "os.PathLike[str]", None] = None,
        nameserver: Optional[str] = None,
        local_address: Optional[str] = None,
        trace: Optional[bool] = None,
    ) -> Iterator[ProbeReport]:
        """Probe every credential of ``org``, ``concurrency`` (1-10000) at a time, on the shared
        async runtime: an iterator of the reports in the order the probes end (each ``next``
        waits with the GIL released). Options as for ``probe``."""
        merged = _probe_options(options, timeout, register, ca_file, nameserver, local_address, trace)
        return super()._probe_all(org, merged, concurrency)

    async def probe_all_async(
        self,
        org: str,
        options: Optional[ProbeOptions] = None,
        *,
        concurrency: int = 16,
        timeout: Optional[float] = None,
        register: Optional[bool] = None,
        ca_file: Union[str, "os.PathLike[str]", None] = None,
        nameserver: Optional[str] = None,
        local_address: Optional[str] = None,
        trace: Optional[bool] = None,
    ) -> AsyncIterator[ProbeReport]:
        """``probe_all`` as an async iterator: ``async for report in reg.probe_all_async(org)``
        yields each report as its probe ends, the event loop free meanwhile."""
        merged = _probe_options(options, timeout, register, ca_file, nameserver, local_address, trace)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Optional[ProbeReport]] = asyncio.Queue()

        def deliver(report: Optional[ProbeReport]) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, report)

        super()._probe_all_start(org, merged, concurrency, deliver)
        while True:
            report = await queue.get()
            if report is None:
                return
            yield report

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
