"""Validate the same 20k credential dicts with `sipcreds.validate_credential` and with a
pydantic v2 model enforcing the same rules (hosts, ports, transports, the auth pair, CPS
bounds, names, keys), in one run, and print both figures and their ratio.

    python bench/bench_validate.py [--n 20000] [--repeat 7]

Before timing, both validators run over the whole data set and must agree on every input:
the same accept/reject decision and, when accepted, the same normalized fields.
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import re
import statistics
import time
from typing import Annotated, Any, Callable, Optional, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

import sipcreds
from sipcreds.types import CredentialInput

# ---------------------------------------------------------------------------------------
# The pydantic model: §3 and §4 of the contract, written the way a careful Python team would.

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
AUTH_USER = re.compile(r"^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2}){1,128}$")
PORT = re.compile(r"^[0-9]{1,5}$")


def parse_host(text: str, what: str) -> tuple[str, bool]:
    """Normalized host, and whether it is an IPv6 literal."""
    if text.startswith("["):
        if not text.endswith("]"):
            raise ValueError(f"{what}: unterminated IPv6 literal")
        try:
            return ipaddress.IPv6Address(text[1:-1]).compressed, True
        except ValueError as e:
            raise ValueError(f"{what}: {e}") from None
    if ":" in text:
        raise ValueError(f"{what}: IPv6 addresses need brackets")
    host = text[:-1] if text.endswith(".") else text
    if not host:
        raise ValueError(f"{what}: empty host")
    if all(c.isdigit() or c == "." for c in host):
        try:
            parts = host.split(".")
            if len(parts) != 4 or any(len(p) > 1 and p[0] == "0" for p in parts):
                raise ValueError
            return str(ipaddress.IPv4Address(host)), False
        except ValueError:
            raise ValueError(f"{what}: not a valid IPv4 address") from None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"{what}: not a valid internationalized name") from None
    host = host.lower()
    if len(host) > 253:
        raise ValueError(f"{what}: name longer than 253")
    labels = host.split(".")
    if not all(LABEL.match(label) for label in labels):
        raise ValueError(f"{what}: bad label")
    if labels[-1].isdigit():
        raise ValueError(f"{what}: all-numeric top-level label")
    return host, False


class CredentialModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Optional[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = None
    server: str
    authUser: Optional[str] = None
    authPassword: Optional[Annotated[str, StringConstraints(min_length=1, max_length=256)]] = None
    domain: Optional[str] = None
    transport: str = "udp"
    cpsLimit: Optional[Annotated[int, Field(ge=1, le=10000)]] = None
    cpsKey: Optional[Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]] = None

    # Normalized, computed.
    host: str = ""
    port: int = 0
    bracketed: bool = False

    @field_validator("name", "authPassword")
    @classmethod
    def no_controls(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and CONTROL.search(v):
            raise ValueError("control characters are not allowed")
        return v

    @field_validator("authUser")
    @classmethod
    def auth_user(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not AUTH_USER.match(v):
            raise ValueError("not an RFC 3261 user")
        return v

    @field_validator("transport")
    @classmethod
    def transport_ok(cls, v: str) -> str:
        t = v.lower()
        if t not in ("udp", "tcp", "tls"):
            raise ValueError("transport is udp, tcp or tls")
        return t

    @field_validator("domain")
    @classmethod
    def domain_ok(cls, v: Optional[str]) -> Optional[str]:
        if v is None:
            return None
        if not v or any(c.isspace() for c in v):
            raise ValueError("bad domain")
        host, v6 = parse_host(v, "domain")
        return f"[{host}]" if v6 else host

    @field_validator("server")
    @classmethod
    def server_ok(cls, v: str) -> str:
        if not v or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in v):
            raise ValueError("server has whitespace or control characters")
        for bad in ("://", "@", "/", ";", "?"):
            if bad in v:
                raise ValueError("server is a host or host:port")
        low = v.lower()
        if low.startswith(("sip:", "sips:", "tel:")):
            raise ValueError("remove the scheme")
        if v.startswith("["):
            end = v.find("]")
            if end < 0:
                raise ValueError("unterminated IPv6 literal")
            host_text, rest = v[: end + 1], v[end + 1 :]
            if rest and not rest.startswith(":"):
                raise ValueError("junk after the IPv6 literal")
            port_text = rest[1:] if rest else None
        elif v.count(":") == 1:
            host_text, port_text = v.split(":")
        elif ":" in v:
            raise ValueError("IPv6 addresses need brackets")
        else:
            host_text, port_text = v, None
        host, v6 = parse_host(host_text, "server")
        shown = f"[{host}]" if v6 else host
        if port_text is not None:
            if not PORT.match(port_text) or not 1 <= int(port_text) <= 65535:
                raise ValueError("port is 1-65535")
            return f"{shown}:{int(port_text)}"
        return shown

    @model_validator(mode="after")
    def pair_and_derived(self) -> "CredentialModel":
        if (self.authUser is None) != (self.authPassword is None):
            raise ValueError("authUser and authPassword come together")
        server = self.server
        if server.startswith("["):
            end = server.index("]")
            host, port_text = server[1:end], server[end + 2 :] or None
            self.bracketed = True
        else:
            host, _, port_text = server.partition(":")
            port_text = port_text or None
        self.host = host
        self.port = int(port_text) if port_text else (5061 if self.transport == "tls" else 5060)
        return self

    def normalized(self) -> dict[str, Any]:
        realm = self.domain.strip("[]") if self.domain else self.host
        return {
            "name": self.name,
            "server": self.server,
            "host": self.host,
            "port": self.port,
            "transport": self.transport,
            "authUser": self.authUser,
            "hasPassword": self.authPassword is not None,
            "domain": self.domain,
            "realm": realm,
            "cpsLimit": self.cpsLimit,
            "cpsKey": self.cpsKey,
        }


def pydantic_validate(d: dict[str, Any]) -> dict[str, Any]:
    return CredentialModel.model_validate(d).normalized()


# ---------------------------------------------------------------------------------------
# The data: 20k dicts, most valid and typical, some invalid in every way.


def dataset(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    hosts = [
        "sip.example.com", "SIP.Provider.NET", "trunk-1.eu.voip.example.org", "203.0.113.7",
        "[2001:DB8::10]", "pbx.bücher.example", "acme.pstn.twilio.com", "sip.telnyx.com",
    ]
    bad_servers = ["sip:x.example.com", "x.example.com:0", "2001:db8::1", "a..b.com", "user@x.com", "x.com:99999", "-a.com"]
    out = []
    for i in range(n):
        d: dict[str, Any] = {"server": rng.choice(hosts)}
        if rng.random() < 0.6:
            d["server"] += f":{rng.choice([5060, 5061, 5080])}"
        if rng.random() < 0.8:
            d["name"] = f"Trunk {i}"
        if rng.random() < 0.8:
            d["authUser"] = f"acme-{i}"
            d["authPassword"] = f"pw-{rng.getrandbits(64):x}"
        d["transport"] = rng.choice(["udp", "UDP", "tcp", "tls", "TLS"])
        if rng.random() < 0.3:
            d["domain"] = rng.choice(["sip.example.com", "Example.COM", "[2001:db8::1]"])
        if rng.random() < 0.7:
            d["cpsLimit"] = rng.randint(1, 100)
        if rng.random() < 0.5:
            d["cpsKey"] = f"pool-{rng.randint(1, 9)}"
        r = rng.random()
        if r < 0.03:
            d["server"] = rng.choice(bad_servers)
        elif r < 0.05:
            d["cpsLimit"] = rng.choice([0, 10001, 5.0, "10", True])
        elif r < 0.06:
            d.pop("authPassword", None)
            d["authUser"] = "lonely"
        elif r < 0.07:
            d["transport"] = "sctp"
        elif r < 0.08:
            d["extra"] = 1
        out.append(d)
    return out


def sipcreds_validate(d: dict[str, Any]) -> dict[str, Any]:
    # Generated inputs, some invalid on purpose: past the type checker, to the library's checks.
    return dict(sipcreds.validate_credential(cast(CredentialInput, d)))


def run_all(fn: Callable[[dict[str, Any]], dict[str, Any]], data: list[dict[str, Any]], errors: tuple[type[Exception], ...]) -> int:
    ok = 0
    for d in data:
        try:
            fn(d)
            ok += 1
        except errors:
            pass
    return ok


def agree(data: list[dict[str, Any]]) -> None:
    for d in data:
        try:
            ours: Optional[dict[str, Any]] = sipcreds_validate(d)
        except sipcreds.ValidationError:
            ours = None
        try:
            theirs: Optional[dict[str, Any]] = pydantic_validate(d)
        except ValidationError:
            theirs = None
        if ours != theirs:
            raise SystemExit(f"the validators disagree on {d!r}:\n sipcreds {ours}\n pydantic {theirs}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    data = dataset(args.n)
    agree(data)
    valid = run_all(sipcreds_validate, data, (sipcreds.ValidationError,))
    print(f"{len(data)} credential dicts, {valid} valid; both validators agree on every one")

    timings: dict[str, list[float]] = {"sipcreds": [], "pydantic": []}
    for _ in range(args.repeat):
        for name, fn, errors in (
            ("sipcreds", sipcreds_validate, (sipcreds.ValidationError,)),
            ("pydantic", pydantic_validate, (ValidationError,)),
        ):
            start = time.perf_counter()
            run_all(fn, data, errors)
            timings[name].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in timings.items()}
    for name in ("sipcreds", "pydantic"):
        per = med[name] / len(data) * 1e6
        print(f"{name:9} median {med[name] * 1e3:8.1f} ms for {len(data)}  ({per:5.2f} µs per credential, best {min(timings[name]) * 1e3:.1f} ms)")
    print(f"ratio: sipcreds is {med['pydantic'] / med['sipcreds']:.2f}x faster than pydantic v2 (target: at least 4x, issue 16)")


if __name__ == "__main__":
    main()
