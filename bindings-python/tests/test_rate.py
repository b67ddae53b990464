"""Rate limits through the Python surface: record every admission's time and check every
one-second window (§6), with threads hammering a shared `cpsKey` group and a single group."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import sipcreds


def proven_violations(spans: list[tuple[float, float]], limit: int) -> list[float]:
    """Windows that certainly held more than `limit` admissions. Each admission happened
    somewhere in its (before, after) span, so `limit + 1` admissions whose spans all lie in
    less than one second prove an over-limit window, whatever the thread scheduling."""
    spans = sorted(spans)
    bad = []
    for i, (start, _) in enumerate(spans):
        inside = [after for before, after in spans[i:] if after < start + 1.0]
        if len(inside) > limit:
            bad.append(start)
    return bad


def naive_violations(times: list[float], limit: int) -> list[float]:
    """Windows [t, t + 1 s) over recorded times holding more than `limit`."""
    times = sorted(times)
    return [t for i, t in enumerate(times) if i + limit < len(times) and times[i + limit] < t + 1.0]


def test_checkers_catch_a_burst() -> None:
    spans = [(0.0 + i * 0.01, 0.001 + i * 0.01) for i in range(6)]
    assert proven_violations(spans, 5) and not proven_violations(spans, 6)
    assert naive_violations([s for s, _ in spans], 5)
    paced = [(i * 0.2, i * 0.2 + 0.001) for i in range(20)]
    assert not proven_violations(paced, 5)


@pytest.mark.parametrize("backend", ["memory", "sqlite-file-limiter"])
def test_threads_hammering_never_exceed_any_window(backend: str, tmp_path: Path) -> None:
    if backend == "memory":
        reg = sipcreds.Registry()
    else:
        reg = sipcreds.Registry(tmp_path / "rate.db", limiter="file")
    shared = [
        reg.create_credential("acme", {"server": f"s{i}.example.com", "cpsKey": "pool", "cpsLimit": lim})
        for i, lim in enumerate((8, 5, 12))
    ]
    single = reg.create_credential("acme", {"server": "one.example.com", "cpsLimit": 3})
    # Same key in another org: its own bucket.
    other = reg.create_credential("other", {"server": "s.example.com", "cpsKey": "pool", "cpsLimit": 5})
    groups = {"shared": [c.id for c in shared], "single": [single.id], "other": [other.id]}
    orgs = {"shared": "acme", "single": "acme", "other": "other"}
    limits = {"shared": 5, "single": 3, "other": 5}
    spans: dict[str, list[tuple[float, float]]] = {g: [] for g in groups}
    lock = threading.Lock()
    duration = 2.6
    deadline = time.monotonic() + duration

    def hammer(worker: int) -> None:
        i = worker
        while time.monotonic() < deadline:
            group = ("shared", "single", "other")[i % 3]
            ids = groups[group]
            cred = ids[i % len(ids)]
            i += 1
            before = time.monotonic()
            decision = reg.try_acquire(orgs[group], cred)
            after = time.monotonic()
            if decision:
                with lock:
                    spans[group].append((before, after))
            else:
                # At most one window (1 s + the 10 ms margin) past the moment the limiter read
                # its clock, which is within this call (the file limiter may wait for the
                # database's lock first).
                retry = decision.retry_after
                if retry is None or not 0 < retry <= 1.01 + (after - before) + 1e-3:
                    with lock:
                        failures.append(f"retry_after {retry} after a {after - before:.4f} s call")

    failures: list[str] = []
    threads = [threading.Thread(target=hammer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # An assertion inside a thread would only be a warning: report from here.
    assert not failures, failures[:5]

    for group, recorded in spans.items():
        limit = limits[group]
        assert not proven_violations(recorded, limit), group
        # Pacing does not starve: every started window of 1.01 s admits the whole limit.
        windows = int(duration // 1.01) + 1
        assert len(recorded) >= limit * (windows - 1), (group, len(recorded))
        assert len(recorded) <= limit * windows, (group, len(recorded))


def test_one_thread_recorded_times_pass_the_plain_window_check() -> None:
    reg = sipcreds.Registry()
    c = reg.create_credential("acme", {"server": "x.example.com", "cpsLimit": 4})
    times = []
    deadline = time.monotonic() + 2.2
    while time.monotonic() < deadline:
        if reg.try_acquire("acme", c.id):
            times.append(time.monotonic())
    # The limiter keeps a 10 ms margin, so even times taken after the call returns obey
    # every one-second window.
    assert not naive_violations(times, 4)
    assert len(times) == 12


def test_paced_calls_follow_the_booked_slots() -> None:
    reg = sipcreds.Registry()
    a = reg.create_credential("acme", {"server": "a.example.com", "cpsKey": "k", "cpsLimit": 5})
    b = reg.create_credential("acme", {"server": "b.example.com", "cpsKey": "k", "cpsLimit": 5})
    start = time.monotonic()
    slots = []
    for i in range(15):
        d = reg.reserve("acme", (a, b)[i % 2].id, 10.0)
        assert d and d.wait is not None
        slots.append(time.monotonic() + d.wait)
    spans = [(s - 0.002, s + 0.002) for s in slots]
    assert not proven_violations(spans, 5)
    # 15 calls at 5 per (1 s + margin): the last is booked a bit after two seconds.
    assert 2.0 <= slots[-1] - start <= 2.2
    # Changing the limit applies from the next decision.
    reg.update_credential("acme", a.id, {"cpsLimit": 1})
    reg.update_credential("acme", b.id, {"cpsLimit": 1})
    d = reg.reserve("acme", a.id, 10.0)
    assert d.wait is not None and d.wait >= slots[-1] - time.monotonic() + 0.9
