"""Pages of the lists (SPEC §5) across the Python boundary: ``limit=`` / ``after=`` answer
``{"items": [...], "next": cursor | None}`` in the list's order; without them the whole list,
as before; bad limits and cursors are ``ValidationError`` with code ``invalid_option``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

import sipcreds
import sipcreds.types


@pytest.fixture(params=["memory", "sqlite"])
def reg(request: pytest.FixtureRequest, db: Path) -> sipcreds.Registry:
    return sipcreds.Registry() if request.param == "memory" else sipcreds.Registry(db)


def walk(list_page: Callable[..., Any], limit: int) -> list[Any]:
    items: list[Any] = []
    after: str | None = None
    while True:
        page = list_page("acme", limit=limit, after=after)
        assert set(page) == {"items", "next"}
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        if page["next"] is None:
            return items
        assert len(page["items"]) == limit
        after = page["next"]


def test_every_list_pages_in_its_order(reg: sipcreds.Registry) -> None:
    creds = [
        reg.create_credential("acme", {"server": f"t{i}.example.com", "authUser": "u", "authPassword": f"pw{i}"})
        for i in range(7)
    ]
    numbers = [f"+1415555010{i}" for i in range(5)]
    for i, n in reversed(list(enumerate(numbers))):
        reg.link_number("acme", n, creds[i].id)
    for i in range(3):
        agent = reg.create_agent("acme", f"Agent {i}")
        reg.assign_number("acme", agent["id"], numbers[i])
    reg.connect_provider("acme", "twilio", "Twilio", [{"server": "acme.pstn.twilio.com"}])

    for limit in (1, 2, 3, 1000):
        paged = walk(reg.list_credentials, limit)
        assert [c.id for c in paged] == [c.id for c in reg.list_credentials("acme")]
        assert all(isinstance(c, sipcreds.Credential) for c in paged)
        assert walk(reg.list_numbers, limit) == reg.list_numbers("acme")
        assert walk(reg.list_agents, limit) == reg.list_agents("acme")
        assert walk(reg.list_providers, limit) == reg.list_providers("acme")

    page: sipcreds.types.CredentialPage = reg.list_credentials("acme", limit=2)
    assert page["next"] == page["items"][1].id
    assert page["items"][0].reveal_password() == "pw0"
    # after alone: the rest, up to 1000.
    rest = reg.list_credentials("acme", after=creds[4].id)
    assert [c.id for c in rest["items"]] == [c.id for c in reg.list_credentials("acme")[5:]]
    assert rest["next"] is None
    # A cursor deleted since pages on from where it stood.
    reg.delete_credential("acme", creds[2].id, force=True)
    after_deleted = reg.list_credentials("acme", limit=2, after=creds[2].id)
    assert [c.id for c in after_deleted["items"]] == [creds[3].id, creds[4].id]
    numbers_page: sipcreds.types.NumberPage = reg.list_numbers("acme", limit=10, after="+14155550102")
    assert [n["number"] for n in numbers_page["items"]] == numbers[3:]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": -5}, "limit"),
        ({"limit": 2**80}, "limit"),
        ({"limit": "10"}, "limit"),
        ({"limit": 2.0}, "limit"),
        ({"limit": True}, "limit"),
        ({"limit": 10, "after": "cred_nope"}, "after"),
        ({"limit": 10, "after": 7}, "after"),
        ({"after": "+1415\udc80"}, "after"),
    ],
)
def test_bad_pages_are_invalid_option_with_the_field(kwargs: dict[str, Any], field: str) -> None:
    reg = sipcreds.Registry()
    with pytest.raises(sipcreds.ValidationError) as e:
        reg.list_credentials("acme", **kwargs)
    assert (e.value.code, e.value.field) == ("invalid_option", field)
    with pytest.raises(sipcreds.ValidationError) as e:
        reg.list_numbers("acme", limit=5, after="cred_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert (e.value.code, e.value.field) == ("invalid_option", "after")


def test_no_page_is_the_whole_list_as_before() -> None:
    reg = sipcreds.Registry()
    reg.create_credential("acme", {"server": "a.example.com"})
    assert isinstance(reg.list_credentials("acme"), list)
    assert isinstance(reg.list_credentials("acme", limit=None, after=None), list)
    assert reg.list_agents("acme") == []
    assert reg.list_agents("acme", limit=5) == {"items": [], "next": None}
