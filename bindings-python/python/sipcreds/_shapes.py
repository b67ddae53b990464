"""The output shapes of sipcreds as ``TypedDict``s (docs/README.md).

This file is generated from the core's serde types (core, `sipcreds::output_schemas`) by `cargo xtask codegen`; do not edit.
"""

from __future__ import annotations

from typing import Literal, Optional, TypedDict

__all__ = [
    "NormalizedCredential",
    "CredentialDict",
    "NumberDict",
    "AgentDict",
    "ProviderDict",
    "AgentUsage",
    "Usage",
    "DeleteReport",
    "ProviderDeleteReport",
    "Finding",
    "Cause",
    "Diagnosis",
    "RateGroupDict",
    "ErrorCodeInfo",
    "ErrorBody",
    "TokenDict",
    "NewTokenDict",
    "HealthDict",
    "HealthEventDict",
    "CredentialInput",
    "CredentialPatch",
]


class NormalizedCredential(TypedDict):
    """The normalized fields of a credential input (docs/README.md), borrowing what they can: what ``CredentialInput::to_normalized_json_string`` writes, and what a binding reads to build its own objects without going through JSON. Never holds the password."""

    name: Optional[str]
    server: str
    host: str
    port: int
    transport: Literal["udp", "tcp", "tls"]
    authUser: Optional[str]
    hasPassword: bool
    domain: Optional[str]
    realm: str
    cpsLimit: Optional[int]
    cpsKey: Optional[str]


class CredentialDict(TypedDict):
    """A credential as every surface shows it (docs/fields.md), fields in the order of docs/fields.md. Never holds the password."""

    id: str
    org: str
    name: Optional[str]
    server: str
    host: str
    port: int
    transport: Literal["udp", "tcp", "tls"]
    authUser: Optional[str]
    hasPassword: bool
    domain: Optional[str]
    realm: str
    cpsLimit: Optional[int]
    cpsKey: Optional[str]
    source: Literal["manual", "provider"]
    providerId: Optional[str]
    readOnly: bool
    version: int
    createdAt: str
    updatedAt: str


class NumberDict(TypedDict):
    """A phone number and the credential it is linked to, if any: ``{"number", "credentialId"}``."""

    number: str
    credentialId: Optional[str]


class AgentDict(TypedDict):
    """An agent and the numbers it uses: ``{"id", "org", "name", "numbers", "createdAt"}``."""

    id: str
    org: str
    name: str
    numbers: list[str]
    createdAt: str


class ProviderDict(TypedDict):
    """A connected provider: ``{"id", "org", "kind", "name", "createdAt"}``."""

    id: str
    org: str
    kind: str
    name: str
    createdAt: str


class AgentUsage(TypedDict):
    """One agent in a usage report."""

    id: str
    name: str
    via: list[str]


class Usage(TypedDict):
    """The phone numbers linked to a credential and the agents that use one of them."""

    phoneNumbers: list[str]
    agents: list[AgentUsage]


class DeleteReport(TypedDict):
    """What a forced (or unneeded-force) delete did."""

    deleted: str
    unlinkedNumbers: list[str]


class ProviderDeleteReport(TypedDict):
    """What deleting a provider did."""

    deleted: str
    deletedCredentials: list[str]
    unlinkedNumbers: list[str]


class _FindingRequired(TypedDict):
    code: str
    severity: Literal["error", "warning", "info"]
    field: str
    message: str
    fix: str


class Finding(_FindingRequired, total=False):
    """One finding: ``{code, severity, field, message, fix}``, and the credential it is about when several are linted together."""

    credential: Optional[str]


class Cause(TypedDict):
    """One likely cause."""

    code: str
    cause: str
    fix: str
    fields: list[str]


class _DiagnosisRequired(TypedDict):
    symptom: str
    summary: str
    causes: list[Cause]


class Diagnosis(_DiagnosisRequired, total=False):
    """The answer of ``diagnose``."""

    reason: Optional[str]


class RateGroupDict(TypedDict):
    """One rate group: ``(org, cpsKey)`` when the key is set, else the credential alone."""

    key: str
    cpsKey: Optional[str]
    members: list[str]
    limit: Optional[int]
    conflictingLimits: bool


class ErrorCodeInfo(TypedDict):
    """One entry of the published code list: ``{"code", "number", "description"}``."""

    code: str
    number: int
    description: str


class _ErrorBodyRequired(TypedDict):
    code: str
    field: Optional[str]
    message: str


class ErrorBody(_ErrorBodyRequired, total=False):
    """The body of an error (docs/errors.md), in the order every surface writes it."""

    usage: Optional[Usage]
    expectedVersion: Optional[int]
    actualVersion: Optional[int]
    retryAfterMs: Optional[int]


class TokenDict(TypedDict):
    """A token as listed: never its text, nor its hash."""

    id: str
    org: str
    name: Optional[str]
    role: Literal["read", "write"]
    createdAt: str
    lastUsedAt: Optional[str]


class NewTokenDict(TypedDict):
    """A token just made, as every surface shows it once: ``{"id", "name", "role", "org", "token", "createdAt"}``."""

    id: str
    name: Optional[str]
    role: Literal["read", "write"]
    org: str
    token: str
    createdAt: str


class HealthDict(TypedDict):
    """A credential's health record (docs/README.md): the same JSON on every surface."""

    credentialId: str
    state: Literal["unknown", "up", "degraded", "down", "rejected", "paused"]
    since: str
    lastProbeAt: Optional[str]
    nextProbeAt: Optional[str]
    consecutiveFailures: int
    consecutiveSuccesses: int
    lastOutcome: Optional[str]
    lastStatus: Optional[int]
    lastReason: Optional[str]
    lastRttMs: Optional[int]
    probes: int
    failures: int


# A transition, kept as an event (the last ``EVENTS_KEPT`` per credential).
HealthEventDict = TypedDict(
    "HealthEventDict",
    {
        "at": str,
        "credentialId": str,
        "from": Literal["unknown", "up", "degraded", "down", "rejected", "paused"],
        "to": Literal["unknown", "up", "degraded", "down", "rejected", "paused"],
        "outcome": Optional[str],
        "status": Optional[int],
        "reason": Optional[str],
    },
)


class _CredentialInputRequired(TypedDict):
    server: str


class CredentialInput(_CredentialInputRequired, total=False):
    """A credential as create takes it (docs/fields.md): ``server`` required, the other fields optional; unknown keys are refused."""

    name: Optional[str]
    authUser: Optional[str]
    authPassword: Optional[str]
    domain: Optional[str]
    transport: Literal["udp", "tcp", "tls", "UDP", "TCP", "TLS"]
    cpsLimit: Optional[int]
    cpsKey: Optional[str]


class CredentialPatch(TypedDict, total=False):
    """The fields update changes (docs/fields.md): each optional, ``null`` clears it; ``expectedVersion`` refuses a stale update."""

    name: Optional[str]
    server: str
    authUser: Optional[str]
    authPassword: Optional[str]
    domain: Optional[str]
    transport: Literal["udp", "tcp", "tls", "UDP", "TCP", "TLS"]
    cpsLimit: Optional[int]
    cpsKey: Optional[str]
    expectedVersion: int
