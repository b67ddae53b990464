"""Hostile input through the Python boundary (SPEC §4, §8, §10): values CPython cannot encode,
URLs with passwords in every spelling, field names that would forge a log line, and the files
of a new store."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Callable, cast

import pytest

import sipcreds
from sipcreds.types import CredentialInput

SECRET = "Hunter2-never-shown"
# What os.environ holds for a password whose bytes are not UTF-8 (surrogateescape).
SURROGATE_PASSWORD = SECRET + "\udcff\udcfe"


def shown(e: BaseException) -> str:
    """Everything an exception can show or carry."""
    parts = [str(e), repr(e), repr(e.args)]
    for attr in ("code", "field", "object", "reason"):
        parts.append(repr(getattr(e, attr, None)))
    if isinstance(e, sipcreds.Error):
        parts.append(repr(e.to_dict()))
    if e.__cause__ is not None:
        parts.append(shown(e.__cause__))
    if e.__context__ is not None:
        parts.append(shown(e.__context__))
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        (
            {"server": "sip.example.com", "authUser": "acme", "authPassword": SURROGATE_PASSWORD},
            "invalid_auth_password",
            "authPassword",
        ),
        ({"server": SECRET + "\udc80.example.com"}, "invalid_server", "server"),
        ({"server": "sip.example.com", "name": SECRET + "\ud800"}, "invalid_name", "name"),
        ({"server": "sip.example.com", "cpsKey": SECRET + "\udfff"}, "invalid_cps_key", "cpsKey"),
        ({"server": "sip.example.com", SECRET + "\udcff": 1}, "invalid_json", None),
    ],
)
def test_a_str_that_cannot_be_utf8_gets_the_field_code_and_never_shows(
    body: dict[str, object], code: str, field: str | None
) -> None:
    # Deliberately untyped input, as from json.loads: past the type checker.
    typed = cast(CredentialInput, body)
    for call in (
        lambda: sipcreds.validate_credential(typed),
        lambda: sipcreds.Registry().create_credential("acme", typed),
        lambda: sipcreds.lint_credential(typed),
    ):
        with pytest.raises(sipcreds.ValidationError) as info:
            call()
        assert info.value.code == code
        assert info.value.field == field
        assert not isinstance(info.value, UnicodeError)
        assert SECRET not in shown(info.value)


def test_a_json_text_that_cannot_be_utf8_is_invalid_json_and_never_shows() -> None:
    text = '{"server":"sip.example.com","authUser":"a","authPassword":"' + SURROGATE_PASSWORD + '"}'
    reg = sipcreds.Registry()
    c = reg.create_credential("acme", {"server": "sip.example.com"})
    for call in (
        lambda: sipcreds.validate_credential(text),
        lambda: reg.create_credential("acme", text),
        lambda: reg.update_credential("acme", c.id, '{"authUser":"a","authPassword":"' + SURROGATE_PASSWORD + '"}'),
        lambda: reg.create_credentials("acme", "[" + text + "]"),
        lambda: reg.connect_provider("acme", "twilio", "T", [text]),
    ):
        with pytest.raises(sipcreds.ValidationError) as info:
            call()
        assert info.value.code == "invalid_json"
        assert SECRET not in shown(info.value)
    # A patch dict with the password: the password's own code.
    with pytest.raises(sipcreds.ValidationError) as info:
        reg.update_credential("acme", c.id, {"authUser": "a", "authPassword": SURROGATE_PASSWORD})
    assert (info.value.code, info.value.field) == ("invalid_auth_password", "authPassword")
    assert SECRET not in shown(info.value)


def test_a_server_userinfo_password_is_masked() -> None:
    for server in (
        f"sip:acme:{SECRET}@sip.example.com",
        f"acme:{SECRET}@host:5060",
        f"SIPS:acme:{SECRET}@host;transport=tls",
        f"acme:{SECRET}/x?y@host",
    ):
        with pytest.raises(sipcreds.ValidationError) as info:
            sipcreds.validate_credential({"server": server})
        assert info.value.code == "invalid_server"
        assert SECRET not in shown(info.value), server
        assert "acme:***@" in str(info.value)


@pytest.mark.parametrize(
    "location",
    [
        f"postgres://app:{SECRET}@127.0.0.1:1/db",
        f"postgres://app:pa/{SECRET}@127.0.0.1:1/db",
        f"postgres://app:pa?{SECRET}@127.0.0.1:1/db",
        f"postgres://127.0.0.1:1/db?password={SECRET}",
        f"POSTGRES://app:{SECRET}@127.0.0.1:1/db",
        f"PostgreSQL://app:{SECRET}@127.0.0.1:1/db",
    ],
)
def test_store_urls_never_show_their_password(location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIPCREDS_KEY", "c2lwY3JlZHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=")
    with pytest.raises(sipcreds.StorageError) as info:
        sipcreds.Registry(location)
    assert SECRET not in shown(info.value)
    # Never taken as a SQLite path (no file named after the URL, no key file).
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "location",
    [
        f"host=127.0.0.1 port=1 user=u password={SECRET} dbname=d",
        f"host=127.0.0.1 port=1 password={SECRET} sslrootcert=/nonexistent/ca.pem",
        f"password={SECRET}",
        f"dbname=x password = '{SECRET} with spaces'",
        f"user=u password={SECRET} pasword=typo",
        f"host=127.0.0.1 password='{SECRET}",
        f"postgres://u:{SECRET}@127.0.0.1:1/d#fragment",
        f"u:{SECRET}@db.internal",
        f"x.db?password={SECRET}",
    ],
)
def test_libpq_strings_and_odd_spellings_are_never_a_file_and_never_shown(
    location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SPEC §10: a key=value string is PostgreSQL's (or refused), never a SQLite file name.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIPCREDS_KEY", "c2lwY3JlZHMtdGVzdC1rZXktMzItYnl0ZXMtbG9uZyE=")
    with pytest.raises(sipcreds.Error) as info:
        sipcreds.Registry(location)
    assert info.value.code in ("storage", "invalid_option"), info.value
    assert SECRET not in shown(info.value)
    assert "Hunter2" not in shown(info.value)
    assert list(tmp_path.rglob("*")) == []


@pytest.mark.parametrize(
    "limiter",
    [
        f"redis://:{SECRET}@127.0.0.1:1/0?fallback=sometimes",
        f"Redis://:{SECRET}@127.0.0.1:1/0?fallback=sometimes",
        f"rediss://u:pa/{SECRET}@127.0.0.1:1/?fallback=nope",
        f"memcached://:{SECRET}@127.0.0.1:1/",
    ],
)
def test_limiter_urls_never_show_their_password(limiter: str, tmp_path: Path) -> None:
    with pytest.raises(sipcreds.Error) as info:
        sipcreds.Registry(str(tmp_path / "x.db"), limiter=limiter)
    assert SECRET not in shown(info.value)


def test_path_and_repr_hide_the_password(tmp_path: Path) -> None:
    # An unreachable server on the URL: the constructor fails, but what it shows must not leak;
    # a SQLite path with an @ in it is shown as it is.
    db = tmp_path / "a@b.db"
    reg = sipcreds.Registry(str(db))
    assert reg.path == str(db)
    assert SECRET not in repr(reg)


def test_unknown_field_names_are_escaped_and_capped() -> None:
    key = "x\x1b]0;owned\x07\r\nINFO login ok user=admin\u202e" + "k" * 200
    with pytest.raises(sipcreds.ValidationError) as info:
        sipcreds.validate_credential(cast(CredentialInput, {"server": "sip.example.com", key: 1}))
    e = info.value
    assert e.code == "unknown_field"
    assert e.field is not None and len(e.field) <= 64
    assert e.field.startswith("x\\u001b]0;owned\\u0007\\u000d\\u000aINFO")
    for text in (e.field, str(e), repr(e.to_dict())):
        assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch == "\u202e" for ch in text), text


def test_a_new_store_is_private_whatever_the_umask(tmp_path: Path) -> None:
    script = (
        "import os, sys, sipcreds\n"
        "os.umask(0o022)\n"
        "reg = sipcreds.Registry(sys.argv[1])\n"
        "reg.create_credential('acme', {'server': 'a.example.com', 'authUser': 'u', 'authPassword': 'p'})\n"
        "print(' '.join(oct(os.stat(sys.argv[1] + s).st_mode & 0o777) for s in ('', '-wal', '-shm')))\n"
    )
    db = tmp_path / "private.db"
    env = {k: v for k, v in os.environ.items() if k != "SIPCREDS_KEY"}
    out = subprocess.run([sys.executable, "-c", script, str(db)], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0o600", "0o600", "0o600"]
    assert stat.S_IMODE((tmp_path / "private.key").stat().st_mode) == 0o600


def test_a_key_file_others_can_read_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIPCREDS_KEY", raising=False)
    db = tmp_path / "k.db"
    sipcreds.Registry(str(db))
    key = tmp_path / "k.key"
    key.chmod(0o644)
    with pytest.raises(sipcreds.StorageError) as info:
        sipcreds.Registry(str(db))
    assert "chmod 600" in str(info.value)
    key.chmod(0o600)
    link = tmp_path / "l.key"
    link.symlink_to(key)
    with pytest.raises(sipcreds.StorageError) as info:
        sipcreds.Registry(str(tmp_path / "l.db"))
    assert "symbolic link" in str(info.value)


def test_text_arguments_that_cannot_be_utf8_get_their_own_code() -> None:
    reg = sipcreds.Registry()
    c = reg.create_credential("acme", {"server": "sip.example.com"})
    bad = SECRET + "\udcff"
    cases: list[tuple[Callable[[], object], type[sipcreds.Error], str, str]] = [
        (lambda: reg.list_credentials(bad), sipcreds.ValidationError, "invalid_org", "org"),
        (lambda: reg.get_credential("acme", bad), sipcreds.NotFoundError, "not_found", "id"),
        (lambda: reg.link_number("acme", bad, c.id), sipcreds.ValidationError, "invalid_phone_number", "number"),
        (lambda: reg.link_number("acme", "+14155550100", bad), sipcreds.NotFoundError, "not_found", "credentialId"),
        (lambda: reg.create_agent("acme", bad), sipcreds.ValidationError, "invalid_name", "name"),
        (lambda: reg.try_acquire("acme", bad), sipcreds.NotFoundError, "not_found", "id"),
        (lambda: sipcreds.diagnose(bad), sipcreds.ValidationError, "invalid_symptom", "symptom"),
        (lambda: sipcreds.diagnose("403", bad), sipcreds.ValidationError, "invalid_symptom", "reason"),
        (lambda: reg.connect_provider("acme", bad, "T", []), sipcreds.ValidationError, "invalid_name", "kind"),
        (lambda: sipcreds.Registry(bad), sipcreds.ValidationError, "invalid_option", "path"),
    ]
    for call, cls, code, field in cases:
        with pytest.raises(cls) as info:
            call()
        assert (info.value.code, info.value.field) == (code, field)
        assert SECRET not in shown(info.value)
    assert reg.list_numbers("acme") == []
