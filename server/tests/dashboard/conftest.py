"""Fixtures of the dashboard's browser tests (docs/dashboard.md): a real `sipcreds serve` on a
real SQLite store, a real Kamailio for Test connection, Debian's Chromium driven by
Playwright. Run by scripts/ci/dashboard.sh; locally:

    SIPCREDS_BIN=target/release/sipcreds python -m pytest server/tests/dashboard

SIPCREDS_REQUIRE_SERVICES=1 (CI) turns a missing Chromium or Kamailio into a failure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
# The SIP peers shared with the Python package's tests.
sys.path.insert(0, str(ROOT / "tests" / "support"))
import sip_peers  # noqa: E402
KEY = "c2lwY3JlZHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE="
REQUIRED = os.environ.get("SIPCREDS_REQUIRE_SERVICES") == "1"


def missing(what: str) -> None:
    if REQUIRED:
        pytest.fail(f"{what} is missing and SIPCREDS_REQUIRE_SERVICES=1")
    pytest.skip(f"SKIPPED: {what} is missing")


def sipcreds_bin() -> str:
    b = os.environ.get("SIPCREDS_BIN") or str(ROOT / "target" / "release" / "sipcreds")
    if not os.access(b, os.X_OK):
        missing(f"the sipcreds binary ({b}; set SIPCREDS_BIN)")
    return b


@dataclass
class Kamailio:
    port: int
    password: str
    realm: str


@pytest.fixture(scope="session")
def kamailio() -> Iterator[Kamailio]:
    """A Kamailio on UDP and TCP 127.0.0.1:port that challenges REGISTER in realm sip.test
    and accepts the password `secret` for any user."""
    if sip_peers.KAMAILIO is None:
        missing("kamailio (apt-get install kamailio)")
    with sip_peers.kamailio(algorithm="MD5", realm="sip.test", password="secret") as port:
        yield Kamailio(port=port, password="secret", realm="sip.test")


@dataclass
class Server:
    url: str
    org: str
    token: str
    read_token: str
    bin: str
    env: dict[str, str]
    log: Path

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """One request to the API with the write token (or `token`); the answer's JSON."""
        req = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"},
        )
        for _ in range(20):
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    text = r.read()
                    return json.loads(text) if text else None
            except urllib.error.HTTPError as e:
                # The token's rate (50 a second) holds for the tests too: wait as told.
                if e.code != 429:
                    raise
                time.sleep(int(e.headers.get("Retry-After", "1")))
        raise AssertionError(f"{method} {path}: still 429 after 20 tries")

    def cli(self, *args: str, stdin: str | None = None) -> str:
        out = subprocess.run(
            [self.bin, "--org", self.org, *args], env=self.env, input=stdin, capture_output=True, text=True, check=True
        )
        return out.stdout


def start_server(tmp: Path, org: str = "acme", extra: tuple[str, ...] = ()) -> tuple[Server, subprocess.Popen[bytes]]:
    binary = sipcreds_bin()
    env = {**os.environ, "SIPCREDS_DB": str(tmp / "dash.db"), "SIPCREDS_KEY": KEY}
    env.pop("SIPCREDS_LIMITER", None)

    def token(role: str, name: str) -> str:
        return subprocess.run(
            [binary, "--org", org, "tokens", "create", "--role", role, "--name", name],
            env=env, capture_output=True, text=True, check=True,
        ).stdout.strip().splitlines()[0]

    write, read = token("write", "dashboard"), token("read", "viewer")
    port = sip_peers.free_port()
    log = tmp / "serve.log"
    proc = subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{port}", *extra],
        env=env, stdout=open(tmp / "serve.out", "wb"), stderr=open(log, "wb"),
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/v1/healthz", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail(f"serve did not start: {log.read_text()[-2000:]}")
    return Server(url=url, org=org, token=write, read_token=read, bin=binary, env=env, log=log), proc


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`sipcreds serve` on a fresh SQLite store, with a write and a read token of org acme.
    The monitor runs at its shortest interval (10 s)."""
    s, proc = start_server(tmp_path_factory.mktemp("serve"), extra=("--monitor-interval", "10"))
    yield s
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("serve did not stop within 15 s of SIGTERM")


def clean(s: Server) -> None:
    """Remove what a test made: providers (and their credentials), credentials, numbers,
    agents, read back from the API (a failed test leaves nothing behind for the next)."""
    o = f"/v1/orgs/{s.org}"
    for p in s.api("GET", f"{o}/providers?limit=1000")["items"]:
        s.api("DELETE", f"{o}/providers/{p['id']}")
    for c in s.api("GET", f"{o}/credentials?limit=1000")["items"]:
        s.api("DELETE", f"{o}/credentials/{c['id']}?force=true")
    for n in s.api("GET", f"{o}/numbers?limit=1000")["items"]:
        s.api("DELETE", f"{o}/numbers/{urllib.parse.quote(n['number'])}")
    for a in s.api("GET", f"{o}/agents?limit=1000")["items"]:
        s.api("DELETE", f"{o}/agents/{a['id']}")


@pytest.fixture(autouse=True)
def cleaned(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "server" in request.fixturenames:
        clean(request.getfixturevalue("server"))


def nav(page: Any, name: str) -> Any:
    """A link of the side bar, as a person finds it there."""
    return page.get_by_role("navigation", name="Sections").get_by_role("link", name=name, exact=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    chromium = os.environ.get("SIPCREDS_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        missing("chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright (pip install playwright)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"], headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    ctx = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(5000)
    yield pg
    ctx.close()


def sign_in(page: Any, server: Server, token: str | None = None) -> None:
    page.goto("/")
    page.get_by_label("Token").fill(token or server.token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Credentials", level=1).wait_for()


SCREENSHOTS = Path(os.environ.get("SIPCREDS_SCREENSHOTS", str(ROOT / "docs" / "screenshots")))


def screenshot(page: Any, name: str) -> None:
    """The README's pictures, made by the tests so they are never stale."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


AXE = os.environ.get("SIPCREDS_AXE")


def axe(page: Any, what: str) -> list[dict[str, Any]]:
    """axe-core's violations of serious or critical impact on the page as it is now."""
    if not AXE or not os.path.exists(AXE):
        missing("axe-core (set SIPCREDS_AXE to axe.min.js; scripts/ci/dashboard.sh installs it)")
    # The page's CSP refuses inline script: axe is added as this origin's file would be,
    # by Playwright's CSP bypass of the test's own context.
    page.add_script_tag(path=AXE)
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}); "
        "return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }"
    )
    for v in result:
        print(f"axe on {what}: {v['impact']} {v['id']}: {v['help']} at {v['nodes']}")
    return [v for v in result if v["impact"] in ("serious", "critical")]
