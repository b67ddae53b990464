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

# Parity with the C surface: pages, get_agent, count_credentials, create_credentials, acquire,
# probe and probe_all (reports handed to a listener as each probe ends).
import socket  # noqa: E402

reg = s.Registry(None)
made = json.loads(reg.create_credentials("acme", json.dumps([{"server": f"t{i}.example.com"} for i in range(3)])))
assert len(made) == 3 and reg.count_credentials("acme") == 3
first = json.loads(reg.list_credentials_page("acme", 2, None))
assert [c["id"] for c in first["items"]] == [c["id"] for c in made[:2]] and first["next"] == made[1]["id"], first
rest = json.loads(reg.list_credentials_page("acme", 2, first["next"]))
assert [c["id"] for c in rest["items"]] == [made[2]["id"]] and rest["next"] is None, rest
try:
    reg.list_credentials_page("acme", 0, None)
    raise AssertionError("limit 0 accepted")
except s.SipcredsError.Validation as e:
    assert e.code == "invalid_option" and e.field == "limit", e
agent = json.loads(reg.create_agent("acme", "Grace"))
assert json.loads(reg.get_agent("acme", agent["id"]))["name"] == "Grace"
assert json.loads(reg.list_agents_page("acme", 10, None))["items"][0]["id"] == agent["id"]
assert json.loads(reg.list_numbers_page("acme", 10, None)) == {"items": [], "next": None}
assert json.loads(reg.list_providers_page("acme", 10, None)) == {"items": [], "next": None}
limited = json.loads(reg.create_credential("acme", json.dumps({"server": "sip.example.com", "cpsLimit": 1})))
assert json.loads(reg.acquire("acme", limited["id"], 0))["admitted"]

silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
silent.bind(("127.0.0.1", 0))
closed = socket.socket()
closed.bind(("127.0.0.1", 0))
closed_port = closed.getsockname()[1]
closed.close()
preg = s.Registry(None)
slow_id = json.loads(preg.create_credential("acme", json.dumps({"server": f"127.0.0.1:{silent.getsockname()[1]}"})))["id"]
fast_id = json.loads(preg.create_credential("acme", json.dumps({"server": f"127.0.0.1:{closed_port}", "transport": "tcp"})))["id"]
report = json.loads(preg.probe("acme", fast_id, None))
assert report["outcome"] == "connection_refused", report


class Collect(s.ProbeListener):
    def __init__(self) -> None:
        self.reports: list = []

    def on_report(self, report_json: str) -> bool:
        self.reports.append(json.loads(report_json))
        return True


c = Collect()
assert preg.probe_all("acme", '{"timeout": 0.3}', 2, c) == 2
assert [r["credentialId"] for r in c.reports] == [fast_id, slow_id], c.reports
assert c.reports[1]["outcome"] == "timeout"
silent.close()
print("uniffi python smoke scenario: pages, agents, probe and probe_all: ok")
