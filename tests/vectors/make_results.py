#!/usr/bin/env python3
"""Writes the steps of results.json: one scenario of registry operations whose results and
error bodies (SPEC §3, §5, §8) every surface must answer as the same JSON text.

Each step is an operation with its arguments; `expect` is the compact JSON of its result, or
of its error (`{"error": {...}}`), with every id the scenario created written as `$cred1`,
`$agent1`, `$prov1` (numbered in order of first appearance in the outputs) and every
timestamp as `$time`. The expectations are written by the Rust core
(`SIPCREDS_BLESS=1 cargo test -p sipcreds-conformance --test results`) and then read by a
person: they are the contract's JSON. Run this script only to change the steps.
"""

import json
import os

MISSING_CRED = "cred_01ARZ3NDEKTSV4RRFFQ69G5FAV"
MISSING_AGENT = "agent_01ARZ3NDEKTSV4RRFFQ69G5FAV"
MISSING_PROV = "prov_01ARZ3NDEKTSV4RRFFQ69G5FAV"
TRUNK = {"name": "Main trunk", "server": "SIP.Example.com:5061", "transport": "TLS",
         "authUser": "acme-trunk", "authPassword": "s3cret-Pa55", "cpsLimit": 10, "cpsKey": "acme-shared"}

steps = [
    {"op": "create_credential", "org": "acme", "body": TRUNK},
    {"op": "create_credential", "org": "acme", "body": {"server": "sip.example.com", "domain": "example.com"}},
    {"op": "create_credential", "org": "acme", "body": {"server": "sip:x.example.com"}},
    {"op": "create_credential", "org": "acme", "body": {"server": "a.example.com", "color": "red"}},
    {"op": "create_credential", "org": "bad org", "body": {"server": "a.example.com"}},
    {"op": "get_credential", "org": "acme", "id": "$cred1"},
    {"op": "get_credential", "org": "acme", "id": MISSING_CRED},
    {"op": "get_credential", "org": "other", "id": "$cred1"},
    {"op": "update_credential", "org": "acme", "id": "$cred1", "body": {"name": "Renamed", "expectedVersion": 1}},
    {"op": "update_credential", "org": "acme", "id": "$cred1", "body": {"cpsLimit": 5, "expectedVersion": 1}},
    {"op": "update_credential", "org": "acme", "id": "$cred1", "body": {"cpsLimit": None, "cpsKey": None}},
    {"op": "update_credential", "org": "acme", "id": MISSING_CRED, "body": {"name": "x"}},
    {"op": "link_number", "org": "acme", "number": "+14155550100", "credentialId": "$cred1"},
    {"op": "link_number", "org": "acme", "number": "+14155550101", "credentialId": "$cred1"},
    {"op": "link_number", "org": "acme", "number": "+14155550102", "credentialId": MISSING_CRED},
    {"op": "link_number", "org": "acme", "number": "415-555-0100", "credentialId": "$cred1"},
    {"op": "create_agent", "org": "acme", "name": "Ada"},
    {"op": "assign_number", "org": "acme", "agentId": "$agent1", "number": "+14155550100"},
    {"op": "assign_number", "org": "acme", "agentId": MISSING_AGENT, "number": "+14155550100"},
    {"op": "assign_number", "org": "acme", "agentId": "$agent1", "number": "+14155550199"},
    {"op": "usage", "org": "acme", "id": "$cred1"},
    {"op": "usage", "org": "acme", "id": MISSING_CRED},
    {"op": "delete_credential", "org": "acme", "id": "$cred1", "force": False},
    {"op": "unlink_number", "org": "acme", "number": "+14155550199"},
    {"op": "delete_credential", "org": "acme", "id": "$cred1", "force": True},
    {"op": "delete_credential", "org": "acme", "id": "$cred2", "force": False},
    {"op": "delete_credential", "org": "acme", "id": "$cred2", "force": False},
    {"op": "connect_provider", "org": "acme", "kind": "Twilio", "name": "Twilio main",
     "body": [{"server": "acme.pstn.twilio.com", "authUser": "tw", "authPassword": "tw-secret", "cpsLimit": 1},
              {"server": "acme-2.pstn.twilio.com", "transport": "tcp"}]},
    {"op": "connect_provider", "org": "acme", "kind": "twilio", "name": "Broken",
     "body": [{"server": "ok.example.com"}, {"server": "sip:bad"}]},
    {"op": "update_credential", "org": "acme", "id": "$cred3", "body": {"name": "mine now"}},
    {"op": "delete_credential", "org": "acme", "id": "$cred3", "force": True},
    {"op": "link_number", "org": "acme", "number": "+14155550100", "credentialId": "$cred3"},
    {"op": "get_agent", "org": "acme", "id": "$agent1"},
    {"op": "get_agent", "org": "acme", "id": MISSING_AGENT},
    {"op": "delete_provider", "org": "acme", "id": "$prov1"},
    {"op": "delete_provider", "org": "acme", "id": MISSING_PROV},
    {"op": "usage", "org": "acme", "id": "$cred3"},
    {"op": "delete_agent", "org": "acme", "id": "$agent1"},
    {"op": "delete_number", "org": "acme", "number": "+14155550100"},
    {"op": "delete_number", "org": "acme", "number": "+14155550100"},
]

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.json")
try:
    with open(path, encoding="utf-8") as f:
        old = {json.dumps({k: v for k, v in s.items() if k != "expect"}, sort_keys=True): s.get("expect")
               for s in json.load(f)["steps"]}
except FileNotFoundError:
    old = {}
for s in steps:
    s["expect"] = old.get(json.dumps(s, sort_keys=True))
doc = {
    "description": __doc__.strip().splitlines()[0],
    "ops": "create_credential(org, body) get_credential(org, id) update_credential(org, id, body) "
           "usage(org, id) delete_credential(org, id, force) link_number(org, number, credentialId) "
           "unlink_number(org, number) delete_number(org, number) create_agent(org, name) get_agent(org, id) "
           "assign_number(org, agentId, number) delete_agent(org, id) connect_provider(org, kind, name, body) "
           "delete_provider(org, id)",
    "steps": steps,
}
with open(path, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"wrote {len(steps)} steps to {path}")
