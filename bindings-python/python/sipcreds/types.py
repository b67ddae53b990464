"""The shapes of the dicts sipcreds returns, as ``TypedDict``s (wire names): those
of the core's output types are generated (``_shapes.py``), the rest are the probe's and the
pages'.

    from sipcreds.types import CredentialDict, Usage
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Optional, TypedDict, Union

from ._shapes import (
    AgentDict,
    AgentUsage,
    Cause,
    CredentialDict,
    CredentialInput,
    CredentialPatch,
    DeleteReport,
    Diagnosis,
    ErrorBody,
    ErrorCodeInfo,
    Finding,
    HealthDict,
    HealthEventDict,
    NewTokenDict,
    NormalizedCredential,
    NumberDict,
    ProviderDeleteReport,
    ProviderDict,
    RateGroupDict,
    TokenDict,
    Usage,
)

if TYPE_CHECKING:
    # Annotations are not evaluated at run time (PEP 563): typing_extensions is for the
    # type checkers only (typing.NotRequired is Python 3.11+).
    from typing_extensions import NotRequired

    from ._native import Credential

# The names defined here and the generated shapes' (test_results.py holds this list equal
# to those two; type checkers do not follow `+=` of another module's `__all__`).
__all__ = [
    "AgentDict",
    "AgentPage",
    "AgentUsage",
    "Body",
    "Cause",
    "ConnectedProvider",
    "CredentialDict",
    "CredentialInput",
    "CredentialPage",
    "CredentialPatch",
    "DeleteReport",
    "Diagnosis",
    "ErrorBody",
    "ErrorCodeInfo",
    "Finding",
    "HealthDict",
    "HealthEventDict",
    "NewTokenDict",
    "NormalizedCredential",
    "NumberDict",
    "NumberPage",
    "HealthPage",
    "PatchBody",
    "ProbeCause",
    "ProbeChallenge",
    "ProbeOptions",
    "ProbeReport",
    "ProbeStep",
    "ProbeTarget",
    "ProbeTraceEntry",
    "ProviderDeleteReport",
    "ProviderDict",
    "ProviderPage",
    "RateGroupDict",
    "TokenDict",
    "Usage",
]

Body = Union[CredentialInput, str, bytes]
"""A credential input: a dict of the wire fields (``CredentialInput``: a misspelt key or a
wrong type fails type checking), or its JSON text."""

PatchBody = Union[CredentialPatch, str, bytes]
"""A credential patch: a dict of the fields to change (``CredentialPatch``), or its JSON text."""

class ProbeTarget(TypedDict):
    address: str
    port: int
    transport: Literal["udp", "tcp", "tls"]
    source: Literal["srv", "a", "literal"]

class ProbeStep(TypedDict):
    step: Literal["resolve", "connect", "options", "register"]
    target: Optional[str]
    ok: bool
    ms: float
    status: Optional[int]
    reason: Optional[str]
    detail: Optional[str]

class ProbeChallenge(TypedDict):
    realm: str
    algorithm: str
    qop: Optional[str]

class ProbeOptions(TypedDict, total=False):
    """The options of ``Registry.probe`` (the probe option names)."""

    timeout: float
    register: bool
    caFile: str
    nameserver: str
    localAddress: str
    trace: bool

class ProbeCause(Cause):
    """A cause of a probe report: ``diagnose``'s, narrowed by what the probe saw, with
    ``observed`` when the probe saw more than the table says (the two realms of a
    ``realm_mismatch``)."""

    observed: NotRequired[str]

class ProbeTraceEntry(TypedDict):
    """One message of a probe's trace (``trace=True``): escaped, digest values redacted."""

    direction: Literal["sent", "received"]
    ms: float
    address: str
    transport: Literal["udp", "tcp", "tls"]
    message: str

class ProbeReport(TypedDict):
    """The report of the live probe (docs/probe.md); ``trace`` only with ``trace=True``."""

    credentialId: Optional[str]
    server: str
    transport: Literal["udp", "tcp", "tls"]
    outcome: Literal[
        "ok",
        "reachable",
        "auth_rejected",
        "forbidden",
        "realm_mismatch",
        "timeout",
        "connection_refused",
        "connection_closed",
        "host_unreachable",
        "dns_failure",
        "tls_handshake_failed",
        "overloaded",
        "rate_limited",
        "server_error",
        "invalid_response",
    ]
    symptom: Optional[str]
    status: Optional[int]
    reason: Optional[str]
    targets: list[ProbeTarget]
    steps: list[ProbeStep]
    challenge: Optional[ProbeChallenge]
    configuredRealm: str
    realmMatches: Optional[bool]
    publicAddress: Optional[str]
    serverHeader: Optional[str]
    tlsError: Optional[
        Literal["unknown_issuer", "expired", "name_mismatch", "alert", "not_tls", "other"]
    ]
    retryAfter: Optional[int]
    elapsedMs: float
    requestsSent: int
    causes: list[ProbeCause]
    trace: NotRequired[list[ProbeTraceEntry]]

class CredentialPage(TypedDict):
    """One page of ``list_credentials(org, limit=..., after=...)``."""

    items: list["Credential"]
    next: Optional[str]

class NumberPage(TypedDict):
    """One page of ``list_numbers(org, limit=..., after=...)``."""

    items: list[NumberDict]
    next: Optional[str]

class AgentPage(TypedDict):
    """One page of ``list_agents(org, limit=..., after=...)``."""

    items: list[AgentDict]
    next: Optional[str]

class ProviderPage(TypedDict):
    """One page of ``list_providers(org, limit=..., after=...)``."""

    items: list[ProviderDict]
    next: Optional[str]

class HealthPage(TypedDict):
    """One page of ``health_list(org, limit=..., after=...)``."""

    items: list[HealthDict]
    next: Optional[str]

class ConnectedProvider(TypedDict):
    provider: ProviderDict
    credentials: list["Credential"]
