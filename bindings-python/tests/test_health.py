"""Health over time (SPEC §13) across the Python boundary: a credential's record (``unknown``
until the monitor probes it), pages of records, pause and resume with their events, errors for
another org's credential. The monitor itself runs in ``sipcreds monitor`` / ``sipcreds serve``."""

from __future__ import annotations

from pathlib import Path

import pytest

import sipcreds
from sipcreds.types import HealthDict, HealthEventDict


@pytest.fixture(params=["memory", "sqlite"])
def reg(request: pytest.FixtureRequest, db: Path) -> sipcreds.Registry:
    return sipcreds.Registry() if request.param == "memory" else sipcreds.Registry(db)


KEYS = {
    "credentialId", "state", "since", "lastProbeAt", "nextProbeAt", "consecutiveFailures",
    "consecutiveSuccesses", "lastOutcome", "lastStatus", "lastReason", "lastRttMs", "probes",
    "failures",
}


def test_records_pause_resume_and_events(reg: sipcreds.Registry) -> None:
    c = reg.create_credential("acme", {"server": "sip.example.com", "authUser": "u", "authPassword": "pw"})
    h: HealthDict = reg.health("acme", c.id)
    assert set(h) == KEYS
    assert (h["state"], h["nextProbeAt"], h["probes"]) == ("unknown", None, 0)
    assert reg.pause("acme", c.id)["state"] == "paused"
    assert reg.health("acme", c.id)["state"] == "paused"
    resumed = reg.resume("acme", c.id)
    assert resumed["state"] == "unknown" and resumed["nextProbeAt"] is not None
    events: list[HealthEventDict] = reg.health_events("acme", c.id)
    assert [(e["from"], e["to"], e["outcome"]) for e in events] == [
        ("unknown", "paused", None),
        ("paused", "unknown", None),
    ]
    assert set(events[0]) == {"at", "credentialId", "from", "to", "outcome", "status", "reason"}


def test_health_list_whole_and_paged(reg: sipcreds.Registry) -> None:
    ids = sorted(reg.create_credential("acme", {"server": f"t{i}.example.com"}).id for i in range(5))
    whole = reg.health_list("acme")
    assert [r["credentialId"] for r in whole] == ids
    page = reg.health_list("acme", limit=2)
    assert [r["credentialId"] for r in page["items"]] == ids[:2] and page["next"] == ids[1]
    rest = reg.health_list("acme", limit=10, after=page["next"])
    assert [r["credentialId"] for r in rest["items"]] == ids[2:] and rest["next"] is None
    with pytest.raises(sipcreds.ValidationError) as e:
        reg.health_list("acme", limit=0)
    assert e.value.code == "invalid_option"


def test_another_orgs_credential_is_not_found(reg: sipcreds.Registry) -> None:
    c = reg.create_credential("acme", {"server": "sip.example.com"})
    for call in (reg.health, reg.health_events, reg.pause, reg.resume):
        with pytest.raises(sipcreds.NotFoundError):
            call("globex", c.id)
