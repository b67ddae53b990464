#!/usr/bin/env python3
"""An org at size through the Python package: N credentials imported into one org of a
SQLite store (or of the PostgreSQL database `--db`, with SIPCREDS_KEY set), then a
1,000-item page from the middle of the list against the whole list, the first try_acquire
of a fresh registry (the limiter learns the org), lint and limits; and, given a `sipcreds`
binary, the CLI's whole-list outputs (`--json`, `--jsonl`), `lint` and `limits`, with their
time and peak memory (GNU time's %M).

    python3 -m venv v && v/bin/pip install dist/python/sipcreds-*.whl
    v/bin/python scripts/bench_pages.py --n 100000 --cli target/x86_64-unknown-linux-gnu/release/sipcreds
    v/bin/python scripts/bench_pages.py --n 10000 --cli ...     # ten times smaller, to compare
    SIPCREDS_KEY=$(openssl rand -base64 32) v/bin/python scripts/bench_pages.py --db postgres://... --cli ...
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from typing import Callable

import sipcreds


def median_seconds(f: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--cli", help="a sipcreds binary: also time its whole-list outputs")
    ap.add_argument("--db", help="a postgres:// URL of an empty database (default: a new SQLite file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        db = args.db or os.path.join(d, "bench.db")
        reg = sipcreds.Registry(db)
        t = time.perf_counter()
        for start in range(0, args.n, 10_000):
            reg.create_credentials(
                "acme",
                [
                    {"server": f"t{i}.example.com", "authUser": "u", "authPassword": f"pw{i}", "cpsLimit": 5}
                    for i in range(start, min(start + 10_000, args.n))
                ],
            )
        print(f"import of {args.n} credentials: {time.perf_counter() - t:.2f} s")
        page = reg.list_credentials("acme", limit=1000)
        for _ in range(args.n // 2000 - 1):
            page = reg.list_credentials("acme", limit=1000, after=page["next"])
        middle = page["next"]
        one = median_seconds(lambda: reg.list_credentials("acme", limit=1000, after=middle), 30)
        whole = median_seconds(lambda: reg.list_credentials("acme"), 3)
        print(f"a 1,000-item page from the middle: {one * 1e3:.2f} ms (median of 30)")
        print(f"the whole list: {whole * 1e3:.0f} ms (median of 3)")
        middle_id = reg.list_credentials("acme", limit=1, after=middle)["items"][0].id
        fresh = sipcreds.Registry(db)
        t = time.perf_counter()
        fresh.try_acquire("acme", middle_id)
        print(f"the first try_acquire of a fresh registry: {(time.perf_counter() - t) * 1e3:.1f} ms")
        t = time.perf_counter()
        findings = reg.lint("acme")
        print(f"lint of the org: {(time.perf_counter() - t) * 1e3:.0f} ms ({len(findings)} findings)")
        t = time.perf_counter()
        reg.rate_groups("acme")
        print(f"limits (rate_groups): {(time.perf_counter() - t) * 1e3:.0f} ms")
        if args.cli:
            env = dict(os.environ, SIPCREDS_DB=db)
            for cmd in (["credentials", "list", "--json"], ["credentials", "list", "--jsonl"], ["lint", "--json"], ["limits", "--json"]):
                r = subprocess.run(
                    ["/usr/bin/time", "-f", "%e %M", args.cli, "--org", "acme", *cmd],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                    check=True,
                )
                secs, kb = r.stderr.split()[-2:]
                print(f"sipcreds {' '.join(cmd)}: {secs} s, peak {int(kb) / 1024:.1f} MB")


if __name__ == "__main__":
    main()
