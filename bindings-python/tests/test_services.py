"""PostgreSQL and Redis through the Python surface, on the servers `scripts/ci/services.sh`
starts: a registry on a postgres:// URL shared by two objects (two instances), with the CPS
limiter in Redis. Skipped without the servers, unless SIPCREDS_REQUIRE_SERVICES=1 (CI)."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest

import sipcreds

from test_rate import proven_violations

PG = os.environ.get("SIPCREDS_TEST_POSTGRES_URL")
REDIS = os.environ.get("SIPCREDS_TEST_REDIS_URL")

if not (PG and REDIS):
    if os.environ.get("SIPCREDS_REQUIRE_SERVICES"):
        raise RuntimeError("SIPCREDS_TEST_POSTGRES_URL / SIPCREDS_TEST_REDIS_URL are not set")
    pytest.skip("no PostgreSQL/Redis (scripts/ci/services.sh starts them)", allow_module_level=True)


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    # The shared test database was created under this key (services.sh).
    monkeypatch.setenv("SIPCREDS_KEY", os.environ["SIPCREDS_TEST_KEY"])


def org() -> str:
    return "py-" + uuid.uuid4().hex[:12]


def test_two_instances_share_the_postgres_registry() -> None:
    assert PG and REDIS
    a = sipcreds.Registry(PG)
    b = sipcreds.Registry(PG, limiter=REDIS)
    o = org()
    c = a.create_credential(o, {"server": "sip.example.com", "authUser": "u", "authPassword": "Py-Pg-Secret-1"})
    assert b.get_credential(o, c.id).reveal_password() == "Py-Pg-Secret-1"
    b.link_number(o, "+14155550100", c.id)
    with pytest.raises(sipcreds.InUseError) as e:
        a.delete_credential(o, c.id)
    assert e.value.usage["phoneNumbers"] == ["+14155550100"]
    assert "Py-Pg-Secret-1" not in repr(a.list_credentials(o))


def test_the_url_password_never_shows_and_bad_urls_are_clear() -> None:
    with pytest.raises(sipcreds.StorageError) as e:
        sipcreds.Registry("postgres://u:Hunter2-pw@127.0.0.1:1/x")
    assert "Hunter2" not in str(e.value) and "Hunter2" not in repr(e.value)
    with pytest.raises(sipcreds.ValidationError) as v:
        sipcreds.Registry(PG, limiter="file")
    assert v.value.field == "limiter"
    reg = sipcreds.Registry(None, limiter="redis://:Hunter2-pw@127.0.0.1:1/")
    assert "Hunter2" not in repr(reg)
    c = reg.create_credential(org(), {"server": "sip.example.com"})
    with pytest.raises(sipcreds.StorageError) as e:
        reg.try_acquire(c.org, c.id)
    assert "Hunter2" not in str(e.value)


def test_threads_on_two_instances_stay_within_the_limit_through_redis() -> None:
    assert PG and REDIS
    o = org()
    setup = sipcreds.Registry(PG)
    ids = [
        setup.create_credential(o, {"server": f"t{i}.example.com", "cpsKey": "shared", "cpsLimit": 8}).id
        for i in range(2)
    ]
    instances = [sipcreds.Registry(PG, limiter=REDIS), sipcreds.Registry(PG, limiter=REDIS)]
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()
    end = time.monotonic() + 3.5

    def hammer(reg: sipcreds.Registry, cid: str) -> None:
        while time.monotonic() < end:
            before = time.monotonic()
            d = reg.try_acquire(o, cid)
            if d:
                with lock:
                    spans.append((before, time.monotonic()))

    threads = [threading.Thread(target=hammer, args=(instances[i % 2], ids[i % 2])) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not proven_violations(spans, 8)
    assert len(spans) >= 16, "the group ran at its limit for two seconds at least"
