"""The registry across the Python boundary: types, errors, secrets, persistence, threads,
asyncio. (The rules themselves are tested once, in Rust.)"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import pickle
import stat
import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest

import sipcreds
import sipcreds.types
from sipcreds.types import CredentialInput

PASSWORD = "Pa55-word-that-must-never-show"
TRUNK: CredentialInput = {
    "name": "Main trunk",
    "server": "SIP.Example.com:5061",
    "transport": "TLS",
    "authUser": "acme-trunk",
    "authPassword": PASSWORD,
    "cpsLimit": 10,
    "cpsKey": "acme-shared",
}


@pytest.fixture(params=["memory", "sqlite"])
def reg(request: pytest.FixtureRequest, db: Path) -> sipcreds.Registry:
    return sipcreds.Registry() if request.param == "memory" else sipcreds.Registry(db)


def test_credential_attributes_are_typed_and_match_to_dict(reg: sipcreds.Registry) -> None:
    c = reg.create_credential("acme", TRUNK)
    assert isinstance(c, sipcreds.Credential)
    assert c.id.startswith("cred_") and len(c.id) == 31
    assert (c.org, c.name, c.server, c.host, c.port) == (
        "acme",
        "Main trunk",
        "sip.example.com:5061",
        "sip.example.com",
        5061,
    )
    assert (c.transport, c.auth_user, c.has_password, c.domain, c.realm) == (
        "tls",
        "acme-trunk",
        True,
        None,
        "sip.example.com",
    )
    assert (c.cps_limit, c.cps_key, c.source, c.provider_id, c.read_only, c.version) == (
        10,
        "acme-shared",
        "manual",
        None,
        False,
        1,
    )
    assert c.created_at.tzinfo is not None and c.updated_at == c.created_at
    d = c.to_dict()
    assert set(d) == {
        "id", "org", "name", "server", "host", "port", "transport", "authUser", "hasPassword",
        "domain", "realm", "cpsLimit", "cpsKey", "source", "providerId", "readOnly", "version",
        "createdAt", "updatedAt",
    }
    assert d["cpsLimit"] == 10 and d["hasPassword"] is True and d["providerId"] is None
    assert json.loads(json.dumps(d)) == d
    assert reg.get_credential("acme", c.id) == c
    assert reg.list_credentials("acme") == [c]
    assert hash(reg.get_credential("acme", c.id)) == hash(c)


def test_the_password_never_shows(reg: sipcreds.Registry) -> None:
    c = reg.create_credential("acme", TRUNK)
    shown = [
        repr(c), str(c), json.dumps(c.to_dict()), repr(c.to_dict()), repr(reg.list_credentials("acme")),
        repr(sipcreds.validate_credential(TRUNK)), repr(sipcreds.lint_credential(TRUNK)),
        repr(reg.lint("acme")), repr(reg.rate_groups("acme")), repr(reg),
    ]
    # Deliberately wrong inputs: past the type checker (cast), to the library's own checks.
    for bad in (
        cast(CredentialInput, {**TRUNK, "cpsLimit": 0}),
        cast(CredentialInput, {**TRUNK, "authUser": "bad user"}),
        cast(CredentialInput, {**TRUNK, "nope": PASSWORD}),
    ):
        with pytest.raises(sipcreds.ValidationError) as info:
            reg.create_credential("acme", bad)
        shown += [repr(info.value), str(info.value), json.dumps(info.value.to_dict())]
    with pytest.raises(sipcreds.ValidationError) as info:
        reg.create_credential("acme", {**TRUNK, "authPassword": PASSWORD + "\n"})
    shown += [repr(info.value), str(info.value)]
    for text in shown:
        assert PASSWORD not in text
    assert c.reveal_password() == PASSWORD
    assert reg.get_credential("acme", c.id).reveal_password() == PASSWORD
    with pytest.raises(TypeError):
        pickle.dumps(c)


def test_inputs_as_dict_text_or_bytes_give_the_same_credential(reg: sipcreds.Registry) -> None:
    a = reg.create_credential("acme", TRUNK).to_dict()
    b = reg.create_credential("acme", json.dumps(TRUNK)).to_dict()
    c = reg.create_credential("acme", json.dumps(TRUNK).encode()).to_dict()

    def strip(d: sipcreds.types.CredentialDict) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k not in ("id", "createdAt", "updatedAt")}

    assert strip(a) == strip(b) == strip(c)


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"server": "x.example.com", "cpsLimit": True}, "invalid_cps_limit", "cpsLimit"),
        ({"server": "x.example.com", "cpsLimit": 5.0}, "invalid_cps_limit", "cpsLimit"),
        ({"server": "x.example.com", "cpsLimit": 10**40}, "invalid_cps_limit", "cpsLimit"),
        ({"server": "x.example.com", "cpsLimit": float("nan")}, "invalid_cps_limit", "cpsLimit"),
        ({"server": b"x.example.com"}, "invalid_server", "server"),
        ({"server": "x.example.com", "name": {"nested": [1, 2]}}, "invalid_name", "name"),
        ({"server": "x.example.com", "domain": object()}, "invalid_domain", "domain"),
        ({"server": None}, "invalid_server", "server"),
        ({"server": "x.example.com", 7: "x"}, "invalid_json", None),
        ({"server": "x.example.com", "extra": 1}, "unknown_field", "extra"),
        ({}, "missing_field", "server"),
        ([{"server": "x.example.com"}], "invalid_json", None),
        (42, "invalid_json", None),
        ('{"server": "a.example.com", "server": "b.example.com"}', "invalid_json", None),
        (b"\xff\xfe", "invalid_json", None),
        ("x" * 70000, "too_large", None),
    ],
)
def test_bad_python_values_get_the_field_code(body: Any, code: str, field: str | None) -> None:
    with pytest.raises(sipcreds.ValidationError) as info:
        sipcreds.validate_credential(body)
    assert (info.value.code, info.value.field) == (code, field)
    reg = sipcreds.Registry()
    with pytest.raises(sipcreds.ValidationError):
        reg.create_credential("acme", body)
    assert reg.list_credentials("acme") == []


def test_error_hierarchy_and_payloads(reg: sipcreds.Registry) -> None:
    c = reg.create_credential("acme", TRUNK)
    reg.link_number("acme", "+14155550100", c.id)
    agent = reg.create_agent("acme", "Ada")
    reg.assign_number("acme", agent["id"], "+14155550100")

    with pytest.raises(sipcreds.InUseError) as in_use:
        reg.delete_credential("acme", c.id)
    assert in_use.value.code == "in_use" and in_use.value.field == "id"
    assert in_use.value.usage == {
        "phoneNumbers": ["+14155550100"],
        "agents": [{"id": agent["id"], "name": "Ada", "via": ["+14155550100"]}],
    }
    assert in_use.value.to_dict()["error"]["usage"] == in_use.value.usage
    assert reg.get_credential("acme", c.id) == c  # nothing changed

    for call in (
        lambda: reg.get_credential("other", c.id),
        lambda: reg.usage("other", c.id),
        lambda: reg.get_credential("acme", "cred_01ARZ3NDEKTSV4RRFFQ69G5FAV"),
        lambda: reg.get_credential("acme", "garbage"),
    ):
        with pytest.raises(sipcreds.NotFoundError) as nf:
            call()
        assert isinstance(nf.value, LookupError) and isinstance(nf.value, sipcreds.Error)
        assert nf.value.code == "not_found"

    with pytest.raises(sipcreds.ConflictError) as conflict:
        reg.update_credential("acme", c.id, {"expectedVersion": 5, "name": "x"})
    assert (conflict.value.expected_version, conflict.value.actual_version) == (5, 1)
    assert conflict.value.field == "expectedVersion"
    updated = reg.update_credential("acme", c.id, {"expectedVersion": 1, "name": None, "cpsLimit": 3})
    assert (updated.version, updated.name, updated.cps_limit) == (2, None, 3)

    with pytest.raises(sipcreds.ValidationError) as bad_org:
        reg.list_credentials("no spaces allowed")
    assert bad_org.value.code == "invalid_org"
    with pytest.raises(sipcreds.ValidationError) as bad_number:
        reg.link_number("acme", "4155550100", c.id)
    assert (bad_number.value.code, bad_number.value.field) == ("invalid_phone_number", "number")
    with pytest.raises(sipcreds.ValidationError) as bad_symptom:
        sipcreds.diagnose("418")
    assert bad_symptom.value.code == "invalid_symptom"

    connected = reg.connect_provider("acme", "twilio", "Twilio", [{"server": "acme.pstn.twilio.com"}])
    managed = connected["credentials"][0]
    assert isinstance(managed, sipcreds.Credential)
    assert managed.read_only and managed.source == "provider"
    assert managed.provider_id == connected["provider"]["id"]
    with pytest.raises(sipcreds.ReadOnlyError) as ro:
        reg.update_credential("acme", managed.id, {"name": "mine"})
    assert ro.value.code == "read_only"
    with pytest.raises(sipcreds.ReadOnlyError):
        reg.delete_credential("acme", managed.id, force=True)
    reg.link_number("acme", "+14155550101", managed.id)
    report = reg.delete_provider("acme", connected["provider"]["id"])
    assert report == {
        "deleted": connected["provider"]["id"],
        "deletedCredentials": [managed.id],
        "unlinkedNumbers": ["+14155550101"],
    }

    with pytest.raises(sipcreds.ValidationError) as item:
        reg.connect_provider("acme", "twilio", "T", [{"server": "ok.example.com"}, {"server": "sip:bad"}])
    assert item.value.field == "credentials[1].server"
    assert reg.list_providers("acme") == []

    forced = reg.delete_credential("acme", c.id, force=True)
    assert forced == {"deleted": c.id, "unlinkedNumbers": ["+14155550100"]}
    assert reg.list_numbers("acme") == [
        {"number": "+14155550100", "credentialId": None},
        {"number": "+14155550101", "credentialId": None},
    ]


def test_exceptions_pickle_and_compare() -> None:
    try:
        sipcreds.validate_credential({"server": "sip:x.example.com"})
    except sipcreds.ValidationError as e:
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is sipcreds.ValidationError
        assert (again.code, again.field, again.message) == (e.code, e.field, e.message)
    else:
        pytest.fail("no error")


def test_sqlite_persists_and_encrypts(db: Path) -> None:
    reg = sipcreds.Registry(db)
    c = reg.create_credential("acme", TRUNK)
    reg.link_number("acme", "+14155550100", c.id)
    del reg
    key = db.with_suffix(".key")
    assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600
    again = sipcreds.Registry(str(db))
    assert again.path == str(db)
    assert again.get_credential("acme", c.id).reveal_password() == PASSWORD
    assert again.usage("acme", c.id)["phoneNumbers"] == ["+14155550100"]
    for f in db.parent.iterdir():
        if f.name.startswith("sipcreds.db"):
            assert PASSWORD.encode() not in f.read_bytes()


def test_wrong_key_is_a_storage_error(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIPCREDS_KEY", base64.b64encode(b"k" * 32).decode())
    sipcreds.Registry(db).create_credential("acme", TRUNK)
    monkeypatch.setenv("SIPCREDS_KEY", base64.b64encode(b"x" * 32).decode())
    with pytest.raises(sipcreds.StorageError) as info:
        sipcreds.Registry(db)
    assert info.value.code == "storage" and "key" in info.value.message


def test_limiter_option() -> None:
    with pytest.raises(sipcreds.ValidationError) as info:
        sipcreds.Registry(limiter="file")
    assert info.value.field == "limiter"
    with pytest.raises(sipcreds.ValidationError):
        sipcreds.Registry(limiter="bogus")


def test_one_registry_serves_many_threads(db: Path) -> None:
    reg = sipcreds.Registry(db)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(25):
                c = reg.create_credential("acme", {"server": f"t{t}.example.com", "cpsLimit": 5})
                reg.link_number("acme", f"+1415555{t:02d}{i:02d}", c.id)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(reg.list_credentials("acme")) == 200
    assert len(reg.list_numbers("acme")) == 200
    assert all(n["credentialId"] for n in reg.list_numbers("acme"))


def test_waits_release_the_gil() -> None:
    reg = sipcreds.Registry()
    c = reg.create_credential("acme", {"server": "x.example.com", "cpsLimit": 1})
    assert reg.try_acquire("acme", c.id)
    ticks = 0
    done = threading.Event()

    def wait_for_slot() -> None:
        reg.acquire("acme", c.id, 5.0)  # sleeps about a second inside Rust
        done.set()

    t = threading.Thread(target=wait_for_slot)
    start = time.monotonic()
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    assert time.monotonic() - start >= 0.9
    # Had the wait held the GIL, this thread could not have run during it.
    assert ticks > 100


def test_reserve_from_asyncio_does_not_block_the_loop() -> None:
    reg = sipcreds.Registry()
    c = reg.create_credential("acme", {"server": "x.example.com", "cpsLimit": 2})

    async def main() -> tuple[list[sipcreds.Decision], int]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.005)

        task = asyncio.create_task(ticker())
        decisions = [await reg.acquire_async("acme", c.id, 5.0) for _ in range(4)]
        rejected = await reg.reserve_async("acme", c.id, 0.0)
        assert not rejected and rejected.retry_after and rejected.retry_after > 0
        stop.set()
        await task
        return decisions, ticks

    start = time.monotonic()
    decisions, ticks = asyncio.run(main())
    assert all(decisions)
    assert time.monotonic() - start >= 1.0  # the 3rd and 4th calls waited for the next second
    assert ticks > 50


def test_decision_objects() -> None:
    reg = sipcreds.Registry()
    c = reg.create_credential("acme", {"server": "x.example.com", "cpsLimit": 1})
    ok = reg.try_acquire("acme", c.id)
    assert ok and ok.admitted and ok.wait == 0.0 and ok.retry_after is None
    assert ok.to_dict() == {"admitted": True, "waitMs": 0}
    no = reg.try_acquire("acme", c.id)
    assert not no and no.wait is None and no.retry_after is not None and 0.9 < no.retry_after <= 1.01
    assert no.to_dict()["admitted"] is False and no.to_dict()["retryAfterMs"] > 900
    paced = reg.reserve("acme", c.id, 2.0)
    assert paced and paced.wait is not None and 0.9 < paced.wait <= 1.01
    with pytest.raises(sipcreds.ValidationError):
        reg.reserve("acme", c.id, -1.0)
    with pytest.raises(sipcreds.NotFoundError):
        reg.try_acquire("other", c.id)


def test_module_helpers() -> None:
    assert sipcreds.__version__ == "0.1.0"
    codes = [c["code"] for c in sipcreds.list_all_errors()]
    assert "invalid_server" in codes and "storage" in codes and len(codes) == len(set(codes))
    assert "401" in sipcreds.symptoms() and "timeout" in sipcreds.symptoms()
    d = sipcreds.diagnose("403", "User channel limit exceeded")
    assert d["symptom"] == "403" and d["causes"][0]["fix"]
    findings = sipcreds.lint_credential({"server": "x.example.com:5060", "transport": "tls"})
    assert "tls_on_plain_port" in [f["code"] for f in findings]
    assert sipcreds.MAX_BODY_BYTES == 65536


def test_thousands_of_generated_passwords_never_show() -> None:
    import random

    rng = random.Random(20261127)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&*+-./:;<=>?@[]^_{|}~ éß中🙂"
    reg = sipcreds.Registry()
    for i in range(1000):
        pw = "".join(rng.choice(alphabet) for _ in range(rng.randint(12, 40)))
        body: CredentialInput = {"server": f"t{i}.example.com", "authUser": f"user{i}", "authPassword": pw, "cpsLimit": 5}
        shown = [repr(sipcreds.validate_credential(body))]
        c = reg.create_credential("acme", body)
        shown += [repr(c), str(c), json.dumps(c.to_dict())]
        without_user = cast(CredentialInput, {k: v for k, v in body.items() if k != "authUser"})
        for bad in (
            cast(CredentialInput, {**body, "cpsLimit": 0}),
            cast(CredentialInput, {**body, "authPassword": pw + "\n"}),
            cast(CredentialInput, {**body, "extra": pw}),
            without_user,
        ):
            try:
                reg.create_credential("acme", bad)
            except sipcreds.Error as e:
                shown += [repr(e), str(e), json.dumps(e.to_dict())]
        for text in shown:
            assert pw not in text, (pw, text)
        assert c.reveal_password() == pw


def test_count_credentials_is_the_length_of_the_list(reg: sipcreds.Registry) -> None:
    assert reg.count_credentials("acme") == 0
    reg.create_credentials("acme", [{"server": f"s{i}.example.com"} for i in range(5)])
    reg.create_credential("other", {"server": "x.example.com"})
    assert reg.count_credentials("acme") == 5 == len(reg.list_credentials("acme"))
    with pytest.raises(sipcreds.ValidationError) as e:
        reg.count_credentials("Not An Org!")
    assert e.value.code == "invalid_org"


def test_the_registry_is_a_context_manager_and_close_releases_the_store(tmp_path: Path) -> None:
    db = tmp_path / "ctx.db"
    with sipcreds.Registry(str(db)) as reg:
        assert not reg.closed
        c = reg.create_credential("acme", {"server": "sip.example.com"})
    assert reg.closed
    with pytest.raises(sipcreds.StorageError) as info:
        reg.list_credentials("acme")
    assert "closed" in str(info.value)
    reg.close()  # again: nothing
    # The file is released: another registry reads what was written.
    again = sipcreds.Registry(str(db))
    assert again.get_credential("acme", c.id).server == "sip.example.com"
    again.close()


def test_times_are_aware_datetimes_and_the_dict_keeps_the_text() -> None:
    import datetime as dt

    reg = sipcreds.Registry()
    c = reg.create_credential("acme", {"server": "sip.example.com"})
    assert isinstance(c.created_at, dt.datetime)
    assert c.created_at.tzinfo is not None and c.created_at.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.timezone.utc) - c.created_at).total_seconds()) < 60
    assert c.updated_at >= c.created_at
    text = c.to_dict()["createdAt"]
    assert isinstance(text, str) and text.endswith("Z")
    assert dt.datetime.fromisoformat(text.replace("Z", "+00:00")) == c.created_at


def test_tokens_are_made_once_listed_without_their_text_and_revoked(
    reg: sipcreds.Registry,
) -> None:
    made = reg.create_token("acme", "write", name="dashboard")
    assert made["token"].startswith("sct_") and len(made["token"]) == 47
    assert (made["role"], made["org"], made["name"]) == ("write", "acme", "dashboard")
    reg.create_token("acme", "read")
    listed = reg.list_tokens("acme")
    assert [t["id"] for t in listed][0] == made["id"]
    assert [t["role"] for t in listed] == ["write", "read"]
    assert made["token"] not in json.dumps(listed)
    assert all(t["lastUsedAt"] is None for t in listed)
    revoked = reg.revoke_token("acme", made["id"])
    assert revoked["id"] == made["id"]
    assert [t["role"] for t in reg.list_tokens("acme")] == ["read"]
    with pytest.raises(sipcreds.NotFoundError):
        reg.revoke_token("acme", made["id"])
    with pytest.raises(sipcreds.ValidationError) as bad:
        reg.create_token("acme", cast(Any, "admin"))
    assert (bad.value.code, bad.value.field) == ("invalid_option", "role")
    with pytest.raises(sipcreds.ValidationError) as bad_type:
        reg.create_token("acme", cast(Any, 3))
    assert bad_type.value.field == "role"


def test_get_number_and_lint_input_in_the_orgs_context(reg: sipcreds.Registry) -> None:
    c = reg.create_credential("acme", {"server": "a.example.com", "cpsKey": "k", "cpsLimit": 5})
    reg.link_number("acme", "+14155550100", c.id)
    assert reg.get_number("acme", "+14155550100") == {
        "number": "+14155550100",
        "credentialId": c.id,
    }
    with pytest.raises(sipcreds.NotFoundError):
        reg.get_number("acme", "+14155550199")
    # A new member of group k with another limit: the group's conflict, before it is saved.
    def codes(findings: list[Any]) -> set[str]:
        return {f["code"] for f in findings}

    new: CredentialInput = {"server": "b.example.com", "cpsKey": "k", "cpsLimit": 9}
    same: CredentialInput = {"server": "b.example.com", "cpsKey": "k", "cpsLimit": 5}
    assert "cps_group_conflict" in codes(reg.lint_input("acme", new))
    assert "cps_group_conflict" not in codes(reg.lint_input("acme", same))
    # The same values in place of the credential itself: a group of one, no conflict.
    edit = reg.lint_input("acme", {"server": "a.example.com", "cpsKey": "k", "cpsLimit": 9}, id=c.id)
    assert codes(edit) >= {"cps_key_single_member"} and "cps_group_conflict" not in codes(edit)
    with pytest.raises(sipcreds.NotFoundError):
        reg.lint_input("acme", new, id="cred_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert reg.list_credentials("acme")[0].cps_limit == 5
