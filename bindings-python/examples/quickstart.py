"""The Python quickstart: validate, store, link, pace, troubleshoot. Run it with
`python examples/quickstart.py` after `pip install ./bindings-python`."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import sipcreds


def main() -> None:
    # 1. Validate a credential: normalized fields, never the password.
    out = sipcreds.validate_credential(
        {"server": "SIP.Example.com:5061", "transport": "TLS", "authUser": "acme", "authPassword": "s3cret"}
    )
    print("normalized:", out["server"], out["port"], out["transport"], out["realm"])

    try:
        sipcreds.validate_credential({"server": "sip:trunk.example.com"})
    except sipcreds.ValidationError as e:
        print(f"rejected: {e.code} on {e.field}: {e.message}")

    # 2. A registry in an embedded SQLite file (its key file is created beside it).
    with tempfile.TemporaryDirectory() as tmp:
        reg = sipcreds.Registry(Path(tmp) / "sipcreds.db")
        trunk = reg.create_credential(
            "acme",
            {
                "name": "Main trunk",
                "server": "sip.example.com",
                "authUser": "acme-trunk",
                "authPassword": "correct horse",
                "cpsLimit": 2,
                "cpsKey": "acme-shared",
            },
        )
        print(trunk)  # no password in the repr
        reg.link_number("acme", "+14155550100", trunk.id)
        agent = reg.create_agent("acme", "Ada")
        reg.assign_number("acme", agent["id"], "+14155550100")

        try:
            reg.delete_credential("acme", trunk.id)
        except sipcreds.InUseError as e:
            print("in use by", e.usage["phoneNumbers"], [a["name"] for a in e.usage["agents"]])

        # 3. Pace calls: two per second for the whole cpsKey group.
        for _ in range(3):
            decision = reg.try_acquire("acme", trunk.id)
            print("dial now" if decision else f"retry in {decision.retry_after:.3f} s")

        async def paced() -> None:
            decision = await reg.acquire_async("acme", trunk.id, max_wait=2.0)
            print("paced call admitted after waiting", round(decision.wait or 0.0, 3), "s")

        asyncio.run(paced())

        # 4. The SIP stack reads the password explicitly.
        password: str | None = reg.get_credential("acme", trunk.id).reveal_password()
        assert password == "correct horse"

    # 5. Troubleshoot.
    top = sipcreds.diagnose("503", "CPS limit exceeded")["causes"][0]
    print("503:", top["code"], "->", top["fix"])


if __name__ == "__main__":
    main()
