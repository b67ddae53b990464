"""Type stubs of the native module (checked against the built module by mypy.stubtest)."""

from os import PathLike
from typing import Any, Literal, Optional, TypedDict, Union, final

__version__: str
MAX_BODY_BYTES: int

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
    credentials: list[Credential]

class RateGroupDict(TypedDict):
    key: str
    cpsKey: Optional[str]
    members: list[str]
    limit: Optional[int]
    conflictingLimits: bool

def validate_credential(credential: Body) -> NormalizedCredential: ...
def lint_credential(credential: Body) -> list[Finding]: ...
def diagnose(symptom: str, reason: Optional[str] = None) -> Diagnosis: ...
def symptoms() -> list[str]: ...
def list_all_errors() -> list[tuple[str, int, str]]: ...
@final
class Credential:
    """A stored credential. ``repr`` never shows the password."""

    @property
    def id(self) -> str: ...
    @property
    def org(self) -> str: ...
    @property
    def name(self) -> Optional[str]: ...
    @property
    def server(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def transport(self) -> Literal["udp", "tcp", "tls"]: ...
    @property
    def auth_user(self) -> Optional[str]: ...
    @property
    def has_password(self) -> bool: ...
    @property
    def domain(self) -> Optional[str]: ...
    @property
    def realm(self) -> str: ...
    @property
    def cps_limit(self) -> Optional[int]: ...
    @property
    def cps_key(self) -> Optional[str]: ...
    @property
    def source(self) -> Literal["manual", "provider"]: ...
    @property
    def provider_id(self) -> Optional[str]: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def version(self) -> int: ...
    @property
    def created_at(self) -> str: ...
    @property
    def updated_at(self) -> str: ...
    def to_dict(self) -> CredentialDict: ...
    def reveal_password(self) -> Optional[str]: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
    def __reduce__(self) -> None: ...

@final
class Decision:
    """A rate-limit decision; true when admitted."""

    @property
    def admitted(self) -> bool: ...
    @property
    def wait(self) -> Optional[float]: ...
    @property
    def retry_after(self) -> Optional[float]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __bool__(self) -> bool: ...

class Registry:
    def __new__(
        cls,
        path: Union[str, PathLike[str], None] = None,
        *,
        limiter: Literal["process", "file"] = "process",
    ) -> Registry: ...
    @property
    def path(self) -> Optional[str]: ...
    def create_credential(self, org: str, credential: Body) -> Credential: ...
    def create_credentials(self, org: str, credentials: Union[list[Body], str, bytes]) -> list[Credential]: ...
    def get_credential(self, org: str, id: str) -> Credential: ...
    def list_credentials(self, org: str) -> list[Credential]: ...
    def update_credential(self, org: str, id: str, patch: Body) -> Credential: ...
    def usage(self, org: str, id: str) -> Usage: ...
    def delete_credential(self, org: str, id: str, force: bool = False) -> DeleteReport: ...
    def link_number(self, org: str, number: str, credential_id: str) -> NumberDict: ...
    def unlink_number(self, org: str, number: str) -> NumberDict: ...
    def delete_number(self, org: str, number: str) -> NumberDict: ...
    def list_numbers(self, org: str) -> list[NumberDict]: ...
    def create_agent(self, org: str, name: str) -> AgentDict: ...
    def get_agent(self, org: str, id: str) -> AgentDict: ...
    def assign_number(self, org: str, agent_id: str, number: str) -> AgentDict: ...
    def unassign_number(self, org: str, agent_id: str, number: str) -> AgentDict: ...
    def delete_agent(self, org: str, id: str) -> AgentDict: ...
    def list_agents(self, org: str) -> list[AgentDict]: ...
    def connect_provider(
        self, org: str, kind: str, name: str, credentials: Union[list[Body], str, bytes]
    ) -> ConnectedProvider: ...
    def list_providers(self, org: str) -> list[ProviderDict]: ...
    def delete_provider(self, org: str, id: str) -> ProviderDeleteReport: ...
    def lint(self, org: str) -> list[Finding]: ...
    def rate_groups(self, org: str) -> list[RateGroupDict]: ...
    def try_acquire(self, org: str, credential_id: str) -> Decision: ...
    def reserve(self, org: str, credential_id: str, max_wait: float) -> Decision: ...
    def acquire(self, org: str, credential_id: str, max_wait: float) -> Decision: ...
