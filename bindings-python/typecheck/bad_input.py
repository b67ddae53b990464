"""Inputs that must fail ``mypy --strict`` (tests/test_types.py runs it and checks each error):
a misspelt key, a value of the wrong type, a transport that is not one, and a patch key that
does not exist. Never run; never collected by pytest."""

import sipcreds

reg = sipcreds.Registry()
reg.create_credential("acme", {"sever": "sip.example.com"})  # E1: misspelt key (and server missing)
reg.create_credential("acme", {"server": "sip.example.com", "cpsLimit": "five"})  # E2: not an int
sipcreds.validate_credential({"server": "sip.example.com", "transport": "sctp"})  # E3: no such transport
reg.update_credential("acme", "cred_x", {"cpslimit": 5})  # E4: no such field
