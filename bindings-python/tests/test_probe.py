"""The live probe through the Python package, against a real Kamailio on loopback (started
by tests/support/sip_peers.py, stopped by process group), a silent UDP socket and a closed
port."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest

import sipcreds
from sip_peers import KAMAILIO, free_port
from sip_peers import kamailio as start_kamailio
from sipcreds.types import ProbeReport


@pytest.fixture(scope="module")
def kamailio() -> Iterator[int]:
    if KAMAILIO is None:
        if os.environ.get("SIPCREDS_REQUIRE_SERVICES") == "1":
            pytest.fail("kamailio is not installed and SIPCREDS_REQUIRE_SERVICES=1")
        pytest.skip("kamailio is not installed")
    with start_kamailio(algorithm="SHA-256") as port:
        yield port


def make(reg: sipcreds.Registry, port: int, password: str, domain: str = "sip.test") -> str:
    c = reg.create_credential(
        "acme",
        {"server": f"127.0.0.1:{port}", "authUser": "alice", "authPassword": password, "domain": domain},
    )
    return c.id


def test_kamailio_ok_rejected_and_realm(kamailio: int) -> None:
    reg = sipcreds.Registry()
    ok = reg.probe("acme", make(reg, kamailio, "secret"))
    assert ok["outcome"] == "ok", ok
    assert ok["challenge"] == {"realm": "sip.test", "algorithm": "SHA-256", "qop": "auth"}
    assert ok["realmMatches"] is True
    assert ok["requestsSent"] == 3
    assert [s["step"] for s in ok["steps"]] == ["resolve", "connect", "options", "register", "register"]
    assert ok["causes"] == []

    bad = reg.probe("acme", make(reg, kamailio, "not-the-password"), timeout=2)
    assert bad["outcome"] == "auth_rejected"
    assert bad["symptom"] == "401"
    assert bad["causes"][0]["code"] == "wrong_credentials"
    assert "not-the-password" not in repr(bad)

    realm = reg.probe("acme", make(reg, kamailio, "secret", domain="elsewhere.test"))
    assert realm["outcome"] == "realm_mismatch"
    assert realm["configuredRealm"] == "elsewhere.test"
    assert realm["challenge"] is not None and realm["challenge"]["realm"] == "sip.test"

    off = reg.probe("acme", make(reg, kamailio, "secret"), {"register": False})
    assert off["outcome"] == "reachable"
    assert off["requestsSent"] == 1


def test_probe_async_and_closed_port(kamailio: int) -> None:
    reg = sipcreds.Registry()
    good = make(reg, kamailio, "secret")
    closed = reg.create_credential("acme", {"server": f"127.0.0.1:{free_port()}", "transport": "tcp"}).id

    async def both() -> tuple[ProbeReport, ProbeReport]:
        return await asyncio.gather(reg.probe_async("acme", good), reg.probe_async("acme", closed, timeout=1))

    a, b = asyncio.run(both())
    assert a["outcome"] == "ok"
    assert b["outcome"] == "connection_refused"
    assert b["symptom"] == "connection_refused"


def test_the_gil_is_released_during_a_silent_probe() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    reg = sipcreds.Registry()
    cid = reg.create_credential("acme", {"server": f"127.0.0.1:{silent.getsockname()[1]}"}).id
    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    began = time.monotonic()
    r = reg.probe("acme", cid, timeout=0.5)
    took = time.monotonic() - began
    stop.set()
    t.join()
    silent.close()
    assert r["outcome"] == "timeout"
    assert abs(r["elapsedMs"] - 500) <= 50, r["elapsedMs"]
    assert 0.45 <= took <= 0.6
    assert ticks > 100, f"the other thread ran {ticks} times: the GIL was held"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"timeout": 0.01}, "timeout"),
        ({"timeout": "never"}, "timeout"),
        ({"caFile": "/nonexistent.pem"}, "caFile"),
        ({"nameserver": "localhost"}, "nameserver"),
        ({"localAddress": "me"}, "localAddress"),
        ({"retries": 3}, "retries"),
    ],
)
def test_options_that_do_not_parse_are_invalid_option(options: dict[str, object], field: str) -> None:
    reg = sipcreds.Registry()
    cid = reg.create_credential("acme", {"server": "127.0.0.1:9"}).id
    with pytest.raises(sipcreds.ValidationError) as e:
        reg.probe("acme", cid, options)  # type: ignore[arg-type]
    assert e.value.code == "invalid_option"
    assert e.value.field == field


def test_an_unknown_credential_is_not_found() -> None:
    with pytest.raises(sipcreds.NotFoundError) as e:
        sipcreds.Registry().probe("acme", "cred_01J00000000000000000000000")
    assert e.value.code == "not_found"


def silent_udp(n: int) -> list[socket.socket]:
    """UDP sockets that read and never answer."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    return socks


def test_a_hundred_async_probes_wait_on_sockets_not_threads() -> None:
    # SPEC §12: 100 concurrent probes of silent peers with a 1 s budget end within 1.2 s, and
    # a registry call made meanwhile answers in under 10 ms.
    socks = silent_udp(100)
    reg = sipcreds.Registry()
    ids = [reg.create_credential("acme", {"server": f"127.0.0.1:{s.getsockname()[1]}"}).id for s in socks]

    async def main() -> tuple[list[ProbeReport], float, float, int]:
        began = time.perf_counter()
        tasks = [asyncio.create_task(reg.probe_async("acme", i, timeout=1)) for i in ids]
        await asyncio.sleep(0.3)
        t = time.perf_counter()
        listed = len(reg.list_credentials("acme"))
        call_ms = (time.perf_counter() - t) * 1000
        reports = await asyncio.gather(*tasks)
        return reports, time.perf_counter() - began, call_ms, listed

    try:
        reports, wall, call_ms, listed = asyncio.run(main())
    finally:
        for s in socks:
            s.close()
    assert listed == 100
    assert all(r["outcome"] == "timeout" for r in reports)
    assert {r["credentialId"] for r in reports} == set(ids)
    assert wall < 1.2, f"100 probes of 1 s took {wall:.3f} s"
    assert call_ms < 10, f"list_credentials took {call_ms:.1f} ms during the probes"


def test_a_cancelled_probe_async_leaves_the_loop_clean() -> None:
    socks = silent_udp(1)
    reg = sipcreds.Registry()
    cid = reg.create_credential("acme", {"server": f"127.0.0.1:{socks[0].getsockname()[1]}"}).id

    async def main() -> None:
        task = asyncio.create_task(reg.probe_async("acme", cid, timeout=0.3))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The probe ends within its budget and its late report is dropped quietly.
        await asyncio.sleep(0.5)

    asyncio.run(main())
    socks[0].close()


def test_probe_all_yields_each_report_as_it_ends() -> None:
    socks = silent_udp(10)
    reg = sipcreds.Registry()
    slow = [reg.create_credential("acme", {"server": f"127.0.0.1:{s.getsockname()[1]}"}).id for s in socks]
    # A closed TCP port is refused at once: its report comes first, though created last.
    fast = reg.create_credential("acme", {"server": f"127.0.0.1:{free_port()}", "transport": "tcp"}).id
    began = time.perf_counter()
    seen: list[tuple[str, float]] = []
    for r in reg.probe_all("acme", concurrency=11, timeout=0.5):
        seen.append((r["credentialId"] or "", time.perf_counter() - began))
    assert len(seen) == 11
    assert seen[0][0] == fast and seen[0][1] < 0.3, seen
    assert {i for i, _ in seen[1:]} == set(slow)
    assert seen[-1][1] < 0.8, seen

    async def main() -> list[str]:
        out = []
        async for r in reg.probe_all_async("acme", concurrency=11, timeout=0.5):
            out.append(r["credentialId"] or "")
        return out

    order = asyncio.run(main())
    assert order[0] == fast and set(order) == set(slow) | {fast}
    with pytest.raises(sipcreds.ValidationError) as info:
        reg.probe_all("acme", concurrency=0)
    assert info.value.field == "concurrency"
    for s in socks:
        s.close()
