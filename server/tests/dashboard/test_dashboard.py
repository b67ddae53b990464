"""The dashboard (docs/dashboard.md) in a real browser against a real `sipcreds serve`: the
seed's path end to end, the server's errors beside their fields, lint before Save, the
write-only password, usage before delete, Test connection against Kamailio, live updates
across two browsers, keyboard-only use, version conflicts, read-only credentials, pages,
the session cookie and the security headers, and axe-core on every page. Controls are found
by role and label, as a person finds them."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from conftest import Kamailio, Server, axe, nav, screenshot, sign_in

expect: Any
try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails in CI) with the reason
    expect = None


def credentials(server: Server) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = server.api("GET", f"/v1/orgs/{server.org}/credentials?limit=1000")["items"]
    return items


def create(server: Server, body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = server.api("POST", f"/v1/orgs/{server.org}/credentials", body)
    return out


# ------------------------------------------------------------------ headers and session


def test_security_headers_and_no_inline_code(server: Server) -> None:
    with urllib.request.urlopen(server.url + "/", timeout=5) as r:
        html = r.read().decode()
        h = r.headers
    assert h["Content-Type"].startswith("text/html")
    csp = h["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp, csp
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["X-Content-Type-Options"] == "nosniff"
    # No inline script or style: every script has a src, no style attribute or element.
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "style=" not in html and "<style" not in html
    for path, kind in [("/assets/app.js", "text/javascript"), ("/assets/style.css", "text/css")]:
        with urllib.request.urlopen(server.url + path, timeout=5) as r:
            assert r.headers["Content-Type"].startswith(kind)
            tag = r.headers["ETag"]
            body = r.read().decode()
            assert "style=" not in body or path.endswith(".css")
        # Revalidation: the same file answers 304.
        req = urllib.request.Request(server.url + path, headers={"If-None-Match": tag})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=5)
        assert e.value.code == 304
    # Every URL the page loads is of this origin.
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_sign_in_sets_a_strict_http_only_cookie_and_no_token_in_web_storage(page: Any, server: Server) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in to sipcreds")).to_be_visible()
    expect(page).to_have_title("Sign in to sipcreds \u00b7 sipcreds")
    page.get_by_label("Token").fill("sct_" + "A" * 43)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    sign_in(page, server)
    expect(page.get_by_text("Organization acme")).to_be_visible()
    expect(page.get_by_text("dashboard")).to_be_visible()
    cookies = page.context.cookies()
    session = [c for c in cookies if c["name"] == "sipcreds_session"]
    assert len(session) == 1
    assert session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
    stored = page.evaluate("() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])")
    assert server.token not in stored
    assert server.token not in page.content()
    # Sign out ends the session: a reload asks for the token again.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Token")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Token")).to_be_visible()


def test_a_read_token_sees_but_cannot_change(page: Any, server: Server) -> None:
    create(server, {"name": "Seen by the viewer", "server": "viewer.example.com"})
    sign_in(page, server, server.read_token)
    expect(page.get_by_text("read only")).to_be_visible()
    expect(page.get_by_role("link", name="Seen by the viewer")).to_be_visible()
    expect(page.get_by_role("button", name="Add credentials")).to_have_count(0)
    page.get_by_role("link", name="Seen by the viewer").click()
    expect(page.get_by_role("heading", name="Seen by the viewer")).to_be_visible()
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)


def test_a_revoked_token_returns_to_sign_in(page: Any, server: Server) -> None:
    token = server.cli("tokens", "create", "--role", "write", "--name", "short-lived").strip().splitlines()[0]
    sign_in(page, server, token)
    tokens = [line for line in server.cli("tokens", "list").splitlines() if "short-lived" in line]
    token_id = tokens[0].split()[0]
    server.cli("tokens", "revoke", token_id)
    time.sleep(1.1)  # the server's token cache holds a token for at most 0.5 s
    nav(page, "Numbers").click()
    expect(page.get_by_label("Token")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("sign in again")


# ------------------------------------------------------------------ the seed's path


def test_the_seed_path_add_link_delete_refused_then_unlink_and_delete(page: Any, server: Server) -> None:
    seen: list[str] = []
    page.on("response", lambda r: seen.append(r.text()) if r.request.resource_type in ("fetch", "xhr") else None)
    sign_in(page, server)
    # Phone Numbers -> Credentials tab -> Add Credentials
    expect(nav(page, "Credentials")).to_have_attribute("aria-current", "page")
    page.get_by_role("button", name="Add credentials").click()
    expect(page.get_by_role("heading", name="Add credentials")).to_be_visible()
    # A bad server: the server's error beside Server, with its fix, focus there, nothing saved.
    page.get_by_label("Name").fill("Main trunk")
    page.get_by_label("Server").fill("sip:trunk.example.com")
    page.get_by_role("button", name="Save").click()
    # The error is beside the field and part of its description (aria-describedby).
    expect(page.get_by_label("Server")).to_have_accessible_description(re.compile(r'remove the "sip:" scheme.*"trunk\.example\.com"'))
    expect(page.get_by_text('remove the "sip:" scheme')).to_be_visible()
    expect(page.get_by_label("Server")).to_be_focused()
    expect(page.get_by_label("Server")).to_have_attribute("aria-invalid", "true")
    assert credentials(server) == []
    screenshot(page, "add-credentials-error")
    # A TLS trunk on 5060: the server's lint warns before Save.
    page.get_by_label("Server").fill("trunk.example.com:5060")
    page.get_by_label("Transport").select_option("tls")
    page.get_by_label("Auth user").fill("acme-trunk")
    password = "Pw-dashboard-never-shown-7"
    page.get_by_label("Password").fill(password)
    page.get_by_label("CPS limit").fill("10")
    page.get_by_label("CPS key").fill("acme-shared")
    expect(page.get_by_text("Before you save")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Before you save")).to_contain_text("5060")
    page.get_by_label("Server").fill("trunk.example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Main trunk")).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("saved")
    [saved] = credentials(server)
    assert saved["transport"] == "tls" and saved["port"] == 5061 and saved["hasPassword"]
    assert saved["cpsLimit"] == 10 and saved["cpsKey"] == "acme-shared"
    # The password is write-only: it never reaches the page.
    expect(page.get_by_text("Password", exact=True).locator("xpath=following-sibling::dd[1]")).to_have_text("set")
    assert password not in page.content()
    assert all(password not in body for body in seen), "an answer held the password"
    # Link a number on the Numbers tab, by the credential's name.
    nav(page, "Numbers").click()
    expect(page.get_by_role("heading", name="Numbers", level=1)).to_be_visible()
    page.get_by_label("Phone number", exact=True).fill("+14155550100")
    page.get_by_label("Credential").fill("Main trunk")
    page.get_by_role("button", name="Link").click()
    row = page.get_by_role("row", name=re.compile(r"\+14155550100"))
    expect(row).to_contain_text("Main trunk")
    screenshot(page, "numbers")
    # Delete is refused, listing the number; then unlink and delete.
    row.get_by_role("link", name="Main trunk").click()
    expect(page.get_by_role("heading", name="Main trunk")).to_be_visible()
    expect(page.get_by_role("region", name="Usage")).to_contain_text("+14155550100")
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Confirm delete").click()
    expect(page.get_by_role("alert")).to_contain_text("Not deleted: it is in use")
    expect(page.get_by_role("alert")).to_contain_text("+14155550100")
    assert len(credentials(server)) == 1
    page.get_by_role("button", name="Unlink and delete").click()
    expect(page.get_by_role("heading", name="Credentials", level=1)).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("unlinked +14155550100")
    assert credentials(server) == []
    number = server.api("GET", f"/v1/orgs/{server.org}/numbers/%2B14155550100")
    assert number["credentialId"] is None


def test_test_connection_runs_the_probe_against_kamailio(page: Any, server: Server, kamailio: Kamailio) -> None:
    good = create(server, {"name": "Kamailio", "server": f"127.0.0.1:{kamailio.port}", "authUser": "alice",
                           "authPassword": kamailio.password, "domain": kamailio.realm, "cpsLimit": 5})
    bad = create(server, {"name": "Wrong password", "server": f"127.0.0.1:{kamailio.port}", "authUser": "alice",
                          "authPassword": "not-the-password", "domain": kamailio.realm})
    server.api("PUT", f"/v1/orgs/{server.org}/numbers/%2B14155550111", {"credentialId": good["id"]})
    sign_in(page, server)
    page.goto(f"/#/credentials/{good['id']}")
    page.get_by_role("button", name="Test connection").click()
    report = page.get_by_role("region", name=re.compile("^Test connection"))
    expect(report).to_contain_text("Connected: the server accepted the credentials", timeout=10000)
    for step in ("resolve", "connect", "options", "register"):
        expect(report.get_by_role("listitem").filter(has_text=step).first).to_be_visible()
    # The monitor's first probe of it arrives through the event stream.
    expect(page.get_by_role("region", name="Health")).to_contain_text("Last outcome: ok", timeout=8000)
    screenshot(page, "credential")
    page.goto(f"/#/credentials/{bad['id']}")
    page.get_by_role("button", name="Test connection").click()
    expect(report).to_contain_text("failed (auth rejected)", timeout=10000)
    expect(report).to_contain_text("Likely cause")
    expect(report).to_contain_text("Fix")
    # The list shows each trunk's health: a word with an icon, details on focus.
    page.goto("/#/credentials")
    expect(page.get_by_role("row", name=re.compile("Kamailio"))).to_contain_text("+14155550111")
    # The monitor (every 10 s here) probes new credentials at once: up, and rejected.
    expect(page.get_by_role("row", name=re.compile("Kamailio"))).to_contain_text("Up", timeout=8000)
    expect(page.get_by_role("row", name=re.compile("Wrong password"))).to_contain_text("Rejected", timeout=8000)
    screenshot(page, "credentials")
    server.api("PUT", f"/v1/orgs/{server.org}/numbers/%2B14155550111", {"credentialId": None})


def test_health_comes_from_the_monitor_and_shows_words(page: Any, server: Server, kamailio: Kamailio) -> None:
    c = create(server, {"name": "Watched", "server": f"127.0.0.1:{kamailio.port}", "authUser": "alice",
                        "authPassword": kamailio.password, "domain": kamailio.realm})
    sign_in(page, server)
    row = page.get_by_role("row", name=re.compile("Watched"))
    # The monitor probes a new credential at once; the event stream brings the change.
    expect(row).to_contain_text("Up", timeout=8000)
    # The health word takes the focus after the name's link; focused, it shows the details.
    row.get_by_role("link", name="Watched").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("tooltip").filter(has_text="Last outcome: ok")).to_be_visible()
    page.goto(f"/#/credentials/{c['id']}")
    health = page.get_by_role("region", name="Health")
    expect(health).to_contain_text("Up")
    expect(health.get_by_role("row", name=re.compile("Unknown.*Up"))).to_be_visible()
    health.get_by_role("button", name="Pause monitoring").click()
    expect(health).to_contain_text("Paused")
    health.get_by_role("button", name="Resume monitoring").click()
    expect(health.get_by_role("button", name="Pause monitoring")).to_be_visible()


# ------------------------------------------------------------------ live, keyboard, conflict


def test_a_second_browser_sees_changes_within_two_seconds(browser: Any, server: Server) -> None:
    a = browser.new_context(base_url=server.url).new_page()
    b = browser.new_context(base_url=server.url).new_page()
    sign_in(a, server)
    sign_in(b, server)
    expect(a.get_by_text("Live updates: on")).to_be_visible()
    # B adds a credential through the form; A's list shows it.
    b.get_by_role("button", name="Add credentials").click()
    b.get_by_label("Name").fill("Added in B")
    b.get_by_label("Server").fill("b.example.com")
    b.get_by_role("button", name="Save").click()
    expect(b.get_by_role("heading", name="Added in B")).to_be_visible()
    t0 = time.monotonic()
    expect(a.get_by_role("link", name="Added in B")).to_be_visible(timeout=2000)
    added = time.monotonic() - t0
    [c] = [x for x in credentials(server) if x["name"] == "Added in B"]
    # A health change (a pause in B) and a number linked (through the API): A sees both.
    b.get_by_role("button", name="Pause monitoring").click()
    row = a.get_by_role("row", name=re.compile("Added in B"))
    expect(row).to_contain_text("Paused", timeout=2000)
    server.api("PUT", f"/v1/orgs/{server.org}/numbers/%2B14155550122", {"credentialId": c["id"]})
    expect(row).to_contain_text("+14155550122", timeout=2000)
    print(f"a credential added in B was shown in A after {added * 1000:.0f} ms")
    server.api("PUT", f"/v1/orgs/{server.org}/numbers/%2B14155550122", {"credentialId": None})
    a.context.close()
    b.context.close()


def test_keyboard_alone_signs_in_and_adds_a_credential(page: Any, server: Server) -> None:
    page.goto("/")
    expect(page.get_by_label("Token")).to_be_focused()
    page.keyboard.type(server.token)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Credentials", level=1)).to_be_focused()

    def tab_to(name: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            label = page.evaluate(
                "() => { const e = document.activeElement; return (e.labels && e.labels[0] ? e.labels[0].textContent : e.textContent || '').trim(); }"
            )
            if label == name:
                return
        raise AssertionError(f"Tab never reached {name!r}")

    tab_to("Add credentials")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Add credentials")).to_be_focused()
    tab_to("Name")
    page.keyboard.type("Typed trunk")
    tab_to("Server")
    page.keyboard.type("typed.example.com")
    tab_to("Transport")
    page.keyboard.press("ArrowDown")  # UDP -> TCP
    tab_to("CPS limit")
    page.keyboard.type("3")
    tab_to("Save")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Typed trunk")).to_be_visible()
    [c] = [x for x in credentials(server) if x["name"] == "Typed trunk"]
    assert c["transport"] == "tcp" and c["cpsLimit"] == 3


def test_an_edit_that_conflicts_shows_the_newer_values_and_reloads(page: Any, server: Server) -> None:
    c = create(server, {"name": "Edited twice", "server": "one.example.com", "cpsLimit": 5})
    sign_in(page, server)
    page.goto(f"/#/credentials/{c['id']}")
    page.get_by_role("button", name="Edit").click()
    expect(page.get_by_text("Password: not set")).to_be_visible()
    page.get_by_label("CPS limit").fill("7")
    # Meanwhile someone else changes it.
    server.api("PATCH", f"/v1/orgs/{server.org}/credentials/{c['id']}", {"cpsLimit": 9})
    page.get_by_role("button", name="Save").click()
    conflict = page.get_by_role("alert").filter(has_text="changed meanwhile")
    expect(conflict).to_contain_text("changed meanwhile")
    expect(conflict.get_by_role("row", name=re.compile("CPS limit"))).to_contain_text("7")
    expect(conflict.get_by_role("row", name=re.compile("CPS limit"))).to_contain_text("9")
    assert server.api("GET", f"/v1/orgs/{server.org}/credentials/{c['id']}")["cpsLimit"] == 9
    page.get_by_role("button", name="Reload").click()
    expect(page.get_by_label("CPS limit")).to_have_value("9")
    page.get_by_role("button", name="Change password").click()
    page.get_by_label("Password").fill("new-secret-1")
    page.get_by_label("Auth user").fill("u1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    after = server.api("GET", f"/v1/orgs/{server.org}/credentials/{c['id']}")
    assert after["hasPassword"] and after["authUser"] == "u1" and after["version"] == 3


def test_provider_managed_credentials_are_read_only_and_say_why(page: Any, server: Server) -> None:
    p = server.api("POST", f"/v1/orgs/{server.org}/providers",
                   {"kind": "twilio", "name": "Twilio main", "credentials": [{"name": "From Twilio", "server": "acme.pstn.twilio.com"}]})
    sign_in(page, server)
    row = page.get_by_role("row", name=re.compile("From Twilio"))
    expect(row).to_contain_text("provider (read-only)")
    row.get_by_role("link", name="From Twilio").click()
    expect(page.get_by_role("note")).to_contain_text("Twilio main")
    expect(page.get_by_role("button", name="Edit")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    server.api("DELETE", f"/v1/orgs/{server.org}/providers/{p['provider']['id'] if 'provider' in p else p['id']}")


def test_pages_past_100_and_search(page: Any, server: Server) -> None:
    lines = "\n".join(json.dumps({"name": f"bulk-{i:03}", "server": f"bulk{i}.example.com"}) for i in range(150))
    server.cli("import", "-", stdin=lines)
    sign_in(page, server)
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(101)
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_role("link", name="bulk-149")).to_be_visible()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(51)
    page.get_by_role("button", name="First page").click()
    expect(page.get_by_role("link", name="bulk-000")).to_be_visible()
    page.get_by_label("Search").fill("BULK142.example")
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("link", name="bulk-142")).to_be_visible()
    page.get_by_label("Search").fill("nothing-like-this")
    expect(page.get_by_text("No credential's name, server or auth user contains")).to_be_visible()


# ------------------------------------------------------------------ agents


def test_agents_get_numbers(page: Any, server: Server) -> None:
    c = create(server, {"name": "For agents", "server": "agents.example.com"})
    server.api("PUT", f"/v1/orgs/{server.org}/numbers/%2B14155550133", {"credentialId": c["id"]})
    sign_in(page, server)
    nav(page, "Agents").click()
    page.get_by_label("Agent name").fill("Ada")
    page.get_by_role("button", name="Add agent").click()
    ada = page.get_by_role("region", name="Ada")
    ada.get_by_label("Number for Ada").fill("+14155550133")
    ada.get_by_role("button", name="Assign", exact=True).click()
    expect(ada.get_by_role("listitem")).to_contain_text("+14155550133")
    ada.get_by_label("Number for Ada").fill("+1415")
    ada.get_by_role("button", name="Assign", exact=True).click()
    expect(ada.get_by_label("Number for Ada")).to_have_accessible_description(re.compile("E.164"))
    screenshot(page, "agents")
    page.goto(f"/#/credentials/{c['id']}")
    expect(page.get_by_role("region", name="Usage")).to_contain_text("Ada")
    nav(page, "Agents").click()
    page.get_by_role("button", name="Delete agent Ada").click()
    expect(page.get_by_role("region", name="Ada")).to_have_count(0)
    server.api("DELETE", f"/v1/orgs/{server.org}/numbers/%2B14155550133")


# ------------------------------------------------------------------ accessibility


def test_axe_finds_no_serious_or_critical_violation_on_any_page(browser: Any, server: Server, kamailio: Kamailio) -> None:
    c = create(server, {"name": "Axe trunk", "server": f"127.0.0.1:{kamailio.port}", "authUser": "alice",
                        "authPassword": kamailio.password, "domain": kamailio.realm, "transport": "tcp"})
    server.api("PUT", f"/v1/orgs/{server.org}/numbers/%2B14155550144", {"credentialId": c["id"]})
    server.api("POST", f"/v1/orgs/{server.org}/agents", {"name": "Axe agent"})
    # axe is added as an inline script: this context alone bypasses the page's CSP.
    ctx = browser.new_context(base_url=server.url, bypass_csp=True)
    pg = ctx.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    pg.goto("/")
    pg.get_by_label("Token").wait_for()
    found["sign-in"] = axe(pg, "sign-in")
    sign_in(pg, server)
    expect(pg.get_by_role("link", name="Axe trunk")).to_be_visible()
    found["credentials"] = axe(pg, "credentials")
    pg.get_by_role("button", name="Add credentials").click()
    pg.get_by_label("Server").fill("sip:bad")
    pg.get_by_role("button", name="Save").click()
    expect(pg.get_by_label("Server")).to_have_accessible_description(re.compile("sip:"))
    found["add (with an error)"] = axe(pg, "add")
    pg.goto(f"/#/credentials/{c['id']}")
    pg.get_by_role("button", name="Test connection").click()
    expect(pg.get_by_role("region", name=re.compile("^Test connection"))).to_be_visible(timeout=10000)
    found["credential (with a report)"] = axe(pg, "credential")
    pg.get_by_role("button", name="Edit").click()
    found["edit"] = axe(pg, "edit")
    pg.goto("/#/numbers")
    expect(pg.get_by_role("heading", name="Numbers", level=1)).to_be_visible()
    found["numbers"] = axe(pg, "numbers")
    pg.goto("/#/agents")
    expect(pg.get_by_role("heading", name="Agents", level=1)).to_be_visible()
    found["agents"] = axe(pg, "agents")
    ctx.close()
    assert {k: v for k, v in found.items() if v} == {}
    server.api("PUT", f"/v1/orgs/{server.org}/numbers/%2B14155550144", {"credentialId": None})


def test_a_search_reads_on_until_it_finds(browser: Any, tmp_path: Any) -> None:
    """At 25,000 credentials the one match lies past the 20,000 a request reads: the page
    reads on and shows it, with no empty page in between."""
    import signal

    from conftest import start_server

    own, proc = start_server(tmp_path, extra=("--no-monitor",))
    try:
        lines = "\n".join(
            json.dumps({"name": "the-needle" if i == 24_000 else f"hay-{i}", "server": "sip.example.com"}) for i in range(25_000)
        )
        own.cli("import", "-", stdin=lines)
        pg = browser.new_context(base_url=own.url).new_page()
        sign_in(pg, own)
        expect(pg.get_by_role("link", name="hay-99", exact=True)).to_be_visible()
        pg.get_by_label("Search").fill("NEEDLE")
        expect(pg.get_by_role("link", name="the-needle")).to_be_visible()
        expect(pg.get_by_role("table").get_by_role("row")).to_have_count(2)
        expect(pg.get_by_role("button", name="Next page")).to_have_count(0)
        pg.context.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)


def test_names_are_shown_as_text_never_as_markup(page: Any, server: Server) -> None:
    hostile = '<img src=x onerror="document.title=\'pwned\'">&lt;b&gt;'
    c = create(server, {"name": hostile, "server": "markup.example.com"})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, server)
    expect(page.get_by_role("link", name=hostile, exact=True)).to_be_visible()
    expect(page.get_by_role("main").get_by_role("img")).to_have_count(0)
    page.goto(f"/#/credentials/{c['id']}")
    expect(page.get_by_role("heading", name=hostile, exact=True)).to_be_visible()
    expect(page.get_by_role("main").get_by_role("img")).to_have_count(0)
    assert page.title() == f"{hostile} \u00b7 sipcreds" and dialogs == []
