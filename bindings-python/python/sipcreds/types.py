"""The shapes of the dicts sipcreds returns, as ``TypedDict``s (the §3 wire names).

    from sipcreds.types import CredentialDict, Usage
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Optional, TypedDict, Union

if TYPE_CHECKING:
    from ._native import Credential

__all__ = [
    "AgentDict",
    "AgentUsage",
    "Body",
    "Cause",
    "ConnectedProvider",
    "CredentialDict",
    "DeleteReport",
    "Diagnosis",
    "Finding",
    "NormalizedCredential",
    "NumberDict",
    "ProviderDeleteReport",
    "ProviderDict",
    "RateGroupDict",
    "Usage",
]

Body = Union[dict[str, Any], str, bytes]
"""A credential input or patch: a dict in the wire shape, or its JSON text."""

class NormalizedCredential(TypedDict):
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

class CredentialDict(NormalizedCredential):
    id: str
    org: str
    source: Literal["manual", "provider"]
    providerId: Optional[str]
    readOnly: bool
    version: int
    createdAt: str
    updatedAt: str

class _FindingBase(TypedDict):
    code: str
    severity: Literal["error", "warning", "info"]
    field: str
    message: str
    fix: str

class Finding(_FindingBase, total=False):
    credential: str
    """The credential's id, in findings of a registry's ``lint``."""

class Cause(TypedDict):
    code: str
    cause: str
    fix: str
    fields: list[str]

class Diagnosis(TypedDict):
    symptom: str
    causes: list[Cause]

class AgentUsage(TypedDict):
    id: str
    name: str
    via: list[str]

class Usage(TypedDict):
    phoneNumbers: list[str]
    agents: list[AgentUsage]

class DeleteReport(TypedDict):
    deleted: str
    unlinkedNumbers: list[str]

class ProviderDeleteReport(TypedDict):
    deleted: str
    deletedCredentials: list[str]
    unlinkedNumbers: list[str]

class NumberDict(TypedDict):
    number: str
    credentialId: Optional[str]

class AgentDict(TypedDict):
    id: str
    org: str
    name: str
    numbers: list[str]
    createdAt: str

class ProviderDict(TypedDict):
    id: str
    org: str
    kind: str
    name: str
    createdAt: str

class ConnectedProvider(TypedDict):
    provider: ProviderDict
    credentials: list["Credential"]

class RateGroupDict(TypedDict):
    key: str
    cpsKey: Optional[str]
    members: list[str]
    limit: Optional[int]
    conflictingLimits: bool
