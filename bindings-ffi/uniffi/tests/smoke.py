"""Smoke scenario through the Python flavour of the uniffi bindings (generated in library
mode next to the built cdylib): python3 smoke.py DIR_WITH_GENERATED_MODULE"""

import json
import sys
import tempfile

sys.path.insert(0, sys.argv[1])
import sipcreds_uniffi as s  # noqa: E402

PASSWORD = "Pa55-word-that-must-never-show"

out = json.loads(s.validate_credential_json('{"server":"SIP.Example.com:5061","transport":"TLS"}'))
assert out["server"] == "sip.example.com:5061" and out["port"] == 5061, out
try:
    s.validate_credential_json('{"server":"sip:x.example.com"}')
    raise AssertionError("accepted a URI")
except s.SipcredsError.Validation as e:
    assert e.code == "invalid_server" and e.field == "server", e

for path in (None, tempfile.mkdtemp() + "/sipcreds.db"):
    reg = s.Registry(path)
    created = reg.create_credential("acme", json.dumps({"server": "sip.example.com", "authUser": "u", "authPassword": PASSWORD, "cpsLimit": 2}))
    assert PASSWORD not in created
    cred = json.loads(created)
    assert reg.reveal_password("acme", cred["id"]) == PASSWORD
    reg.link_number("acme", "+14155550100", cred["id"])
    agent = json.loads(reg.create_agent("acme", "Ada"))
    reg.assign_number("acme", agent["id"], "+14155550100")
    try:
        reg.delete_credential("acme", cred["id"], False)
        raise AssertionError("deleted a credential in use")
    except s.SipcredsError.InUse as e:
        assert json.loads(e.usage_json)["phoneNumbers"] == ["+14155550100"]
    try:
        reg.get_credential("other", cred["id"])
        raise AssertionError("another org saw it")
    except s.SipcredsError.NotFound:
        pass
    try:
        reg.update_credential("acme", cred["id"], '{"expectedVersion": 9}')
        raise AssertionError("no conflict")
    except s.SipcredsError.Conflict as e:
        assert (e.expected_version, e.actual_version) == (9, 1)
    decisions = [json.loads(reg.try_acquire("acme", cred["id"]))["admitted"] for _ in range(3)]
    assert decisions == [True, True, False], decisions
    assert json.loads(reg.delete_credential("acme", cred["id"], True))["unlinkedNumbers"] == ["+14155550100"]
    print(f"uniffi python smoke scenario: ok on {path or 'memory'}")
print("uniffi version", s.version())
