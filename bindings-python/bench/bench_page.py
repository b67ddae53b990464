"""A 1,000-item page of credentials from the middle of an org of N on a SQLite store, through
the Python package: the page call itself, then a first read of one attribute of each of its
credentials (which builds that credential's fields, made lazily).

    python bench/bench_page.py [N=20000]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

import sipcreds
from sipcreds.types import CredentialInput


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    os.environ.setdefault("SIPCREDS_KEY", "c2lwY3JlZHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=")
    with tempfile.TemporaryDirectory() as d, sipcreds.Registry(os.path.join(d, "page.db")) as reg:
        inputs: list[CredentialInput] = [
            {"server": f"t{i}.example.com", "authUser": f"u{i}", "authPassword": "pw-xyz-123", "cpsLimit": 5, "name": f"trunk {i}"}
            for i in range(n)
        ]
        reg.create_credentials("o", inputs)
        page = reg.list_credentials("o", limit=1000)
        for _ in range(n // 2000 - 1):
            page = reg.list_credentials("o", limit=1000, after=page["next"])
        cursor = page["next"]
        assert cursor is not None
        times = []
        for _ in range(40):
            t = time.perf_counter()
            page = reg.list_credentials("o", limit=1000, after=cursor)
            times.append(time.perf_counter() - t)
        assert len(page["items"]) == 1000
        t = time.perf_counter()
        servers = [c.server for c in page["items"]]
        touched = time.perf_counter() - t
        assert len(servers) == 1000
        print(
            f"1000-item page of {n} credentials: median {statistics.median(times) * 1000:.2f} ms "
            f"(min {min(times) * 1000:.2f} ms; target 5 ms); then .server of each: {touched * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
