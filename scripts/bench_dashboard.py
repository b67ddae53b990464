"""The dashboard's first load (docs/dashboard.md): a signed-in browser opens the Credentials
page of an org with N credentials; measured: the bytes transferred (as Chromium counts them
on the wire: headers and bodies, compressed if compressed) and the time from navigation
until the first page of the list (100 rows) is on screen. Headless Debian Chromium through
Playwright, `sipcreds serve --no-monitor` on a SQLite store on loopback.

    python scripts/bench_dashboard.py [N ...]      (default: 1000 100000; SIPCREDS_BIN)
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
BIN = os.environ.get("SIPCREDS_BIN", str(ROOT / "target" / "release" / "sipcreds"))
KEY = "c2lwY3JlZHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE="
RUNS = 7


def main(sizes: list[int]) -> None:
    print(f"{'credentials':>12} {'bytes (first load)':>19} {'requests':>9} {'shown ms p50':>13} {'min':>6} {'max':>6}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "SIPCREDS_DB": f"{tmp}/bench.db", "SIPCREDS_KEY": KEY}
            lines = "\n".join(
                json.dumps({"name": f"trunk-{i:06}", "server": f"sip{i % 500}.example.com", "authUser": f"user{i}",
                            "authPassword": "pw", "cpsLimit": 1 + i % 20, "cpsKey": f"group-{i % 50}"})
                for i in range(n)
            )
            t = time.monotonic()
            subprocess.run([BIN, "--org", "acme", "import", "-"], input=lines, text=True, env=env, check=True, capture_output=True)
            imported = time.monotonic() - t
            token = subprocess.run([BIN, "--org", "acme", "tokens", "create", "--role", "write"], env=env,
                                   capture_output=True, text=True, check=True).stdout.splitlines()[0]
            port = 18600 + n % 97
            proc = subprocess.Popen([BIN, "serve", "--no-monitor", "--listen", f"127.0.0.1:{port}"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(url + "/v1/healthz").read()
                    break
                except OSError:
                    time.sleep(0.1)
            try:
                with sync_playwright() as p:
                    b = p.chromium.launch(executable_path=os.environ.get("SIPCREDS_CHROMIUM", "/usr/bin/chromium"),
                                          args=["--no-sandbox"])
                    ctx = b.new_context(base_url=url)
                    # When the 100th row appears, as the page sees it (an init script runs
                    # outside the page's CSP; the page itself allows no eval).
                    ctx.add_init_script(script="""
                        new MutationObserver((_, o) => {
                          if (document.querySelectorAll('tbody tr').length >= 100) {
                            window.__shown = performance.now(); o.disconnect();
                          }
                        }).observe(document, {childList: true, subtree: true});""")
                    page = ctx.new_page()
                    page.goto("/")
                    page.get_by_label("Token").fill(token)
                    page.get_by_role("button", name="Sign in").click()
                    page.locator("tbody tr:nth-child(100)").wait_for()
                    times, sizes_seen, counts = [], [], []
                    for _ in range(RUNS):
                        # A fresh page each run, with the HTTP cache off: a first load.
                        pg = ctx.new_page()
                        cdp = ctx.new_cdp_session(pg)
                        cdp.send("Network.enable")
                        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                        total = {"bytes": 0, "n": 0}

                        def done(e: dict, total: dict = total) -> None:
                            total["bytes"] += int(e.get("encodedDataLength", 0))
                            total["n"] += 1

                        cdp.on("Network.loadingFinished", done)
                        pg.goto("/#/credentials", wait_until="commit")
                        pg.locator("tbody tr:nth-child(100)").wait_for()
                        shown = pg.evaluate("() => window.__shown")
                        pg.wait_for_timeout(300)  # let the event stream's and the icon's requests settle
                        times.append(shown)
                        sizes_seen.append(total["bytes"])
                        counts.append(total["n"])
                        pg.close()
                    b.close()
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(15)
            print(f"{n:>12,} {max(sizes_seen):>19,} {max(counts):>9} {statistics.median(times):>13.0f} {min(times):>6.0f} {max(times):>6.0f}"
                  f"   (import {imported:.1f} s)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 100000])
