#!/usr/bin/env python3
"""Writes credentials.json, the shared conformance vectors.

Each expectation here is written from SPEC.md §3-§4 by hand, not captured from the
implementation. Run: python3 tests/vectors/make_vectors.py (rewrites the JSON file).

A vector is {"name", "input": <object>} or {"name", "raw": <body text>}, and either
"expect": {field: value, ...} (only the listed output fields are compared) or
"error": {"code": ..., "field": ... or null}.
"""
import json
import os

V = []


def ok(label, inp=None, /, *, raw=None, **expect):
    v = {"name": label}
    if raw is not None:
        v["raw"] = raw
    else:
        v["input"] = inp
    v["expect"] = expect
    V.append(v)


def err(name, code, field, input=None, raw=None):
    v = {"name": name}
    if raw is not None:
        v["raw"] = raw
    else:
        v["input"] = input
    v["error"] = {"code": code, "field": field}
    V.append(v)


def s(server, **extra):
    d = {"server": server}
    d.update(extra)
    return d


AUTH = {"authUser": "acme", "authPassword": "pw"}

# ---------------------------------------------------------------- valid: whole outputs
ok("minimal server only", s("sip.example.com"),
   name=None, server="sip.example.com", host="sip.example.com", port=5060, transport="udp",
   authUser=None, hasPassword=False, domain=None, realm="sip.example.com", cpsLimit=None, cpsKey=None)
ok("spec example", {"name": "Main trunk", "server": "sip.example.com:5061", "transport": "tls",
                    "authUser": "acme-trunk", "authPassword": "s3cret", "domain": "sip.example.com",
                    "cpsLimit": 10, "cpsKey": "acme-shared"},
   name="Main trunk", server="sip.example.com:5061", host="sip.example.com", port=5061,
   transport="tls", authUser="acme-trunk", hasPassword=True, domain="sip.example.com",
   realm="sip.example.com", cpsLimit=10, cpsKey="acme-shared")

# ---------------------------------------------------------------- server: DNS names
ok("host lowercased", s("SIP.Example.COM"), server="sip.example.com", host="sip.example.com")
ok("trailing dot removed", s("sip.example.com."), server="sip.example.com", host="sip.example.com")
ok("trailing dot removed before port", s("sip.example.com.:5070"), server="sip.example.com:5070", port=5070)
ok("explicit port kept", s("sip.example.com:5060"), server="sip.example.com:5060", port=5060)
# A host named like a scheme, with a port: what the host "sip." prints as, so it must read back.
ok("host named sip with a port", s("sip:5061"), server="sip:5061", host="sip", port=5061)
ok("host sip with trailing dot and port", s("sip.:5061"), server="sip:5061", host="sip", port=5061)
ok("no port kept when not given", s("sip.example.com", transport="tls"), server="sip.example.com", port=5061)
ok("single label host", s("localhost"), server="localhost", host="localhost")
ok("hyphen inside label", s("my-sip.ex-ample.com"), host="my-sip.ex-ample.com")
ok("digit labels with letters elsewhere", s("123.example.com"), host="123.example.com")
ok("all-digit label then letters", s("sip1.2example.com"), host="sip1.2example.com")
ok("label of 63 chars", s("a" * 63 + ".com"), host="a" * 63 + ".com")
name253 = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
ok("name of 253 chars", s(name253), host=name253)
ok("name of 253 chars with trailing dot", s(name253 + "."), host=name253)
ok("mixed-case letters and digits", s("Trunk01.Provider-X.NET:5080"), server="trunk01.provider-x.net:5080", port=5080)
ok("json escape in server", raw='{"server": "sip.ex\\u0061mple.com"}', server="sip.example.com")

# ---------------------------------------------------------------- server: IDN
ok("idn to punycode", s("bücher.example"), server="xn--bcher-kva.example", host="xn--bcher-kva.example")
ok("idn uppercase to punycode", s("BÜCHER.example"), host="xn--bcher-kva.example")
ok("idn with port", s("münchen.example:5061"), server="xn--mnchen-3ya.example:5061", port=5061)
ok("idn japanese label", s("例え.jp"), host="xn--r8jz45g.jp")
ok("punycode input kept", s("xn--bcher-kva.example"), host="xn--bcher-kva.example")
ok("punycode input lowercased", s("XN--BCHER-KVA.example"), host="xn--bcher-kva.example")
ok("idn realm is punycode", s("bücher.example"), realm="xn--bcher-kva.example")
# Hostile Unicode, as UTS #46 (nontransitional, CheckBidi, CheckJoiners, STD3 rules) says: a
# look-alike is not rejected by IDNA, but its punycode form makes it visibly different.
ok("idn confusable cyrillic a shows as punycode", s("\u0430pple.com"), server="xn--pple-43d.com")
ok("idn confusable capital I lowercased", s("paypaI.com"), server="paypai.com")
ok("idn fullwidth letters mapped", s("\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com"), server="example.com")
ok("idn ideographic full stop is a dot", s("sip\u3002example.com"), server="sip.example.com")
ok("idn soft hyphen ignored", s("ex\u00adample.com"), server="example.com")
ok("idn sharp s kept (nontransitional)", s("stra\u00dfe.de"), server="xn--strae-oqa.de")
ok("idn combining accent composed", s("e\u0301xample.com"), server="xn--xample-9ua.com")
ok("idn right-to-left label", s("\u05d0\u05d1.com"), server="xn--4dbc.com")

# ---------------------------------------------------------------- server: IPv4
ok("ipv4", s("192.0.2.10"), server="192.0.2.10", host="192.0.2.10", port=5060, realm="192.0.2.10")
ok("ipv4 with port", s("192.0.2.10:5080"), server="192.0.2.10:5080", port=5080)
ok("ipv4 zeros", s("0.0.0.0"), host="0.0.0.0")
ok("ipv4 max", s("255.255.255.255"), host="255.255.255.255")
ok("ipv4 single zero parts", s("10.0.0.1"), host="10.0.0.1")

# ---------------------------------------------------------------- server: IPv6
ok("ipv6 bracketed", s("[2001:db8::1]"), server="[2001:db8::1]", host="2001:db8::1", realm="2001:db8::1", port=5060)
ok("ipv6 with port", s("[2001:db8::1]:5061"), server="[2001:db8::1]:5061", port=5061)
ok("ipv6 uppercase full form compressed", s("[2001:0DB8:0000:0000:0000:0000:0000:0001]:5061"),
   server="[2001:db8::1]:5061", host="2001:db8::1")
ok("ipv6 loopback", s("[::1]"), server="[::1]", host="::1")
ok("ipv6 first longest zero run compressed", s("[2001:db8:0:0:1:0:0:1]"), host="2001:db8::1:0:0:1")
ok("ipv6 single zero group not compressed", s("[2001:db8:0:1:1:1:1:1]"), host="2001:db8:0:1:1:1:1:1")
ok("ipv6 leading zeros dropped", s("[2001:db8:00aa::0001]"), host="2001:db8:aa::1")
ok("ipv6 tls default port", s("[2001:db8::2]", transport="tls"), port=5061, server="[2001:db8::2]")

# ---------------------------------------------------------------- server: ports
ok("port 1", s("sip.example.com:1"), port=1, server="sip.example.com:1")
ok("port 65535", s("sip.example.com:65535"), port=65535)
ok("given port wins over tls default", s("sip.example.com:5080", transport="tls"), port=5080)
ok("given 5060 with tls kept", s("sip.example.com:5060", transport="tls"), port=5060)

# ---------------------------------------------------------------- transport
ok("transport default udp", s("a.example.com"), transport="udp", port=5060)
ok("transport tcp", s("a.example.com", transport="tcp"), transport="tcp", port=5060)
ok("transport tls", s("a.example.com", transport="tls"), transport="tls", port=5061)
ok("transport uppercase", s("a.example.com", transport="TLS"), transport="tls", port=5061)
ok("transport mixed case", s("a.example.com", transport="Tcp"), transport="tcp")
ok("transport UDP uppercase", s("a.example.com", transport="UDP"), transport="udp")

# ---------------------------------------------------------------- auth
ok("auth pair", s("a.example.com", **AUTH), authUser="acme", hasPassword=True)
ok("auth user unreserved marks", s("a.example.com", authUser="a-_.!~*'()z", authPassword="p"), authUser="a-_.!~*'()z")
ok("auth user user-unreserved", s("a.example.com", authUser="&=+$,;?/", authPassword="p"), authUser="&=+$,;?/")
ok("auth user escapes kept", s("a.example.com", authUser="john%40acme", authPassword="p"), authUser="john%40acme")
ok("auth user 128 chars", s("a.example.com", authUser="u" * 128, authPassword="p"), authUser="u" * 128)
ok("auth user digits only", s("a.example.com", authUser="14155550100", authPassword="p"), authUser="14155550100")
ok("auth user case kept", s("a.example.com", authUser="AcMe", authPassword="p"), authUser="AcMe")
ok("password 256 chars", s("a.example.com", authUser="u", authPassword="p" * 256), hasPassword=True)
ok("password 256 non-ascii chars", s("a.example.com", authUser="u", authPassword="ü" * 256), hasPassword=True)
ok("password spaces and symbols", s("a.example.com", authUser="u", authPassword=" p a s s \"'<>&@:/ "), hasPassword=True)
ok("password single char", s("a.example.com", authUser="u", authPassword="x"), hasPassword=True)
ok("auth both null", s("a.example.com", authUser=None, authPassword=None), authUser=None, hasPassword=False)

# ---------------------------------------------------------------- domain / realm
ok("domain is realm", s("sip.example.com", domain="example.com"), domain="example.com", realm="example.com", host="sip.example.com")
ok("domain lowercased", s("sip.example.com", domain="Example.COM"), domain="example.com", realm="example.com")
ok("domain trailing dot", s("sip.example.com", domain="example.com."), domain="example.com")
ok("domain idn", s("sip.example.com", domain="bücher.example"), domain="xn--bcher-kva.example", realm="xn--bcher-kva.example")
ok("domain ipv4", s("sip.example.com", domain="192.0.2.1"), domain="192.0.2.1", realm="192.0.2.1")
ok("domain ipv6 stays bracketed, realm bare", s("sip.example.com", domain="[2001:DB8::5]"), domain="[2001:db8::5]", realm="2001:db8::5")
ok("domain null", s("sip.example.com", domain=None), domain=None, realm="sip.example.com")
ok("realm from ipv4 server", s("198.51.100.7:5062"), realm="198.51.100.7", domain=None)

# ---------------------------------------------------------------- cps
ok("cps limit 1", s("a.example.com", cpsLimit=1), cpsLimit=1)
ok("cps limit 10000", s("a.example.com", cpsLimit=10000), cpsLimit=10000)
ok("cps limit null", s("a.example.com", cpsLimit=None), cpsLimit=None)
ok("cps key all allowed chars", s("a.example.com", cpsKey="Az09._:-"), cpsKey="Az09._:-")
ok("cps key 64 chars", s("a.example.com", cpsKey="k" * 64), cpsKey="k" * 64)
ok("cps key single char", s("a.example.com", cpsKey="k"), cpsKey="k")
ok("cps key case kept", s("a.example.com", cpsKey="Acme:US"), cpsKey="Acme:US")
ok("cps key null", s("a.example.com", cpsKey=None), cpsKey=None)
ok("cps key without limit", s("a.example.com", cpsKey="shared"), cpsKey="shared", cpsLimit=None)

# ---------------------------------------------------------------- name
ok("name", s("a.example.com", name="Main trunk"), name="Main trunk")
ok("name 100 chars", s("a.example.com", name="n" * 100), name="n" * 100)
ok("name 100 non-ascii chars", s("a.example.com", name="é" * 100), name="é" * 100)
ok("name unicode and emoji", s("a.example.com", name="Trunk ☎ Zürich"), name="Trunk ☎ Zürich")
ok("name single char", s("a.example.com", name="x"), name="x")
ok("name null", s("a.example.com", name=None), name=None)
ok("name with spaces kept", s("a.example.com", name="  padded  "), name="  padded  ")

# ---------------------------------------------------------------- JSON shape that is fine
ok("whitespace around body", raw=' \n\t{"server":"a.example.com"}\r\n ', server="a.example.com")
ok("keys in any order", raw='{"cpsLimit":5,"transport":"tcp","server":"a.example.com"}', cpsLimit=5, transport="tcp")
ok("body of exactly 65536 bytes", raw='{"server":"a.example.com"}' + " " * (65536 - len('{"server":"a.example.com"}')),
   server="a.example.com")

# ================================================================ errors
# ---------------------------------------------------------------- invalid_json
for label, body in [
    ("empty body", ""), ("whitespace body", "   "), ("array body", '[{"server":"a.example.com"}]'),
    ("empty array", "[]"), ("string body", '"a.example.com"'), ("number body", "42"), ("null body", "null"),
    ("true body", "true"), ("unclosed object", '{"server":"a.example.com"'), ("missing value", '{"server":}'),
    ("trailing comma", '{"server":"a.example.com",}'), ("single quotes", "{'server':'a.example.com'}"),
    ("two objects", '{"server":"a.example.com"}{"server":"b.example.com"}'),
    ("trailing garbage", '{"server":"a.example.com"} x'), ("comment", '{"server":"a.example.com"} // c'),
    ("NaN value", '{"server":"a.example.com","cpsLimit":NaN}'),
    ("lone surrogate", '{"server":"a.example.com","name":"\\ud800"}'),
    ("invalid escape", '{"server":"a\\q.example.com"}'),
    ("raw newline in string", '{"server":"a.example.com","name":"a\nb"}'),
    ("unquoted key", '{server:"a.example.com"}'),
    ("duplicate key server", '{"server":"a.example.com","server":"b.example.com"}'),
    ("duplicate key via escape", '{"server":"a.example.com","serv\\u0065r":"b.example.com"}'),
    ("duplicate optional key", '{"server":"a.example.com","cpsLimit":1,"cpsLimit":1}'),
    ("duplicate unknown key", '{"server":"a.example.com","x":1,"x":1}'),
]:
    err("invalid_json: " + label, "invalid_json", None, raw=body)

# ---------------------------------------------------------------- too_large
err("too_large: padded body of 65537 bytes", "too_large", None,
    raw='{"server":"a.example.com"}' + " " * (65537 - len('{"server":"a.example.com"}')))
err("too_large: huge name", "too_large", None, raw=json.dumps({"server": "a.example.com", "name": "n" * 70000}))

# ---------------------------------------------------------------- unknown_field / missing_field
err("unknown field", "unknown_field", "foo", s("a.example.com", foo=1))
err("unknown field case differs", "unknown_field", "Server", {"Server": "a.example.com"})
err("unknown field snake case", "unknown_field", "auth_user", s("a.example.com", auth_user="u"))
err("unknown field password", "unknown_field", "password", s("a.example.com", password="secret"))
err("unknown field id", "unknown_field", "id", s("a.example.com", id="cred_01JD0000000000000000000000"))
err("expectedVersion is for updates only", "unknown_field", "expectedVersion", s("a.example.com", expectedVersion=1))
err("unknown field even when null", "unknown_field", "port", s("a.example.com", port=None))
err("unknown field wins over a bad value", "unknown_field", "extra", s("sip:bad", extra=True))
err("missing server", "missing_field", "server", {})
err("missing server with other fields", "missing_field", "server", {"name": "x", "authUser": "u", "authPassword": "p"})

# ---------------------------------------------------------------- invalid_server
for label, value in [
    ("empty", ""), ("leading space", " a.example.com"), ("trailing space", "a.example.com "),
    ("inner space", "a .example.com"), ("tab", "a.example.com\t"), ("newline", "a.example.com\n"),
    ("CR LF injection", "a.example.com\r\nVia: evil"), ("NUL", "a.example.com\u0000"),
    ("sip scheme", "sip:a.example.com"), ("SIP scheme uppercase", "SIP:a.example.com"),
    ("sips scheme", "sips:a.example.com:5061"), ("udp url scheme", "udp://a.example.com"),
    ("tls url scheme", "tls://a.example.com:5061"), ("http url", "http://a.example.com"),
    ("userinfo", "user@a.example.com"), ("sip uri with user", "sip:user@a.example.com"),
    ("path", "a.example.com/trunk"), ("params", "a.example.com;transport=tcp"),
    ("headers", "a.example.com?X=y"), ("fragment", "a.example.com#x"),
    ("unbracketed ipv6", "2001:db8::1"), ("unclosed bracket", "[2001:db8::1"),
    ("bad ipv6 in brackets", "[2001:db8::g]"), ("ipv4 in brackets", "[192.0.2.1]"),
    ("ipv6 zone id", "[fe80::1%eth0]"), ("text after bracket", "[2001:db8::1]x"),
    ("port 0", "a.example.com:0"), ("port 65536", "a.example.com:65536"), ("port 99999", "a.example.com:99999"),
    ("empty port", "a.example.com:"), ("port letters", "a.example.com:sip"), ("port with plus", "a.example.com:+5060"),
    ("negative port", "a.example.com:-1"), ("two ports", "a.example.com:5060:5060"),
    ("ipv6 port 0", "[2001:db8::1]:0"), ("empty label", "a..example.com"), ("leading dot", ".a.example.com"),
    ("two trailing dots", "a.example.com.."), ("only a dot", "."), ("label starts with hyphen", "-a.example.com"),
    ("label ends with hyphen", "a-.example.com"), ("underscore", "a_b.example.com"), ("asterisk", "*.example.com"),
    ("dollar", "exa$mple.com"), ("label of 64 chars", "a" * 64 + ".com"), ("name of 254 chars", "a" + name253),
    ("three-part number", "1.2.3"), ("five-part number", "1.2.3.4.5"), ("leading zero octet", "01.2.3.4"),
    ("leading zero last octet", "1.2.3.04"), ("octet 256", "256.0.0.1"), ("digits only", "12345"),
    ("ipv4 trailing dot part", "1.2.3.4."), ("hex-ish ipv4", "0x7f.0.0.1"),
    ("idn bidi override", "a\u202eb.example.com"), ("idn left-to-right mark", "a\u200eb.example.com"),
    ("idn zero width joiner", "ex\u200dample.com"), ("idn mixed-direction label", "a\u05d0.com"),
    ("idn label starts with combining mark", "\u0301a.example.com"), ("idn bad punycode", "xn--a.example.com"),
    ("idn symbol disallowed", "\u2100.com"), ("idn fake dot", "sip.example.com\u2024evil.com"),
]:
    err("invalid_server: " + label, "invalid_server", "server", s(value))
for label, value in [("null", None), ("number", 5060), ("boolean", True), ("array", ["a.example.com"]),
                     ("object", {"host": "a.example.com"})]:
    err("invalid_server: " + label, "invalid_server", "server", s(value))

# ---------------------------------------------------------------- invalid_auth_user / password / incomplete
for label, value in [("empty", ""), ("space", "a b"), ("at sign", "user@example.com"), ("colon", "a:b"),
                     ("short escape", "a%4"), ("bad escape", "a%gg"), ("129 chars", "u" * 129),
                     ("non-ascii", "jürgen"), ("double quote", 'a"b'), ("angle bracket", "a<b"),
                     ("CRLF", "a\r\nb"), ("number", 5), ("array", ["u"])]:
    err("invalid_auth_user: " + label, "invalid_auth_user", "authUser", s("a.example.com", authUser=value, authPassword="p"))
for label, value in [("empty", ""), ("257 chars", "p" * 257), ("newline", "pa\nss"), ("NUL", "pa\u0000ss"),
                     ("DEL", "pa\u007fss"), ("tab", "pa\tss"), ("number", 1234), ("boolean", True)]:
    err("invalid_auth_password: " + label, "invalid_auth_password", "authPassword", s("a.example.com", authUser="u", authPassword=value))
err("incomplete_auth: user only", "incomplete_auth", "authPassword", s("a.example.com", authUser="u"))
err("incomplete_auth: password only", "incomplete_auth", "authUser", s("a.example.com", authPassword="p"))
err("incomplete_auth: user with null password", "incomplete_auth", "authPassword", s("a.example.com", authUser="u", authPassword=None))
err("incomplete_auth: password with null user", "incomplete_auth", "authUser", s("a.example.com", authUser=None, authPassword="p"))

# ---------------------------------------------------------------- invalid_domain
for label, value in [("empty", ""), ("with port", "example.com:5060"), ("sip scheme", "sip:example.com"),
                     ("unbracketed ipv6", "2001:db8::1"), ("empty label", "a..b"), ("space", "exa mple.com"),
                     ("userinfo", "user@example.com"), ("underscore", "a_b.example.com"), ("leading zero ipv4", "01.2.3.4"),
                     ("number", 5), ("array", ["example.com"])]:
    err("invalid_domain: " + label, "invalid_domain", "domain", s("a.example.com", domain=value))

# ---------------------------------------------------------------- invalid_transport
for label, value in [("sctp", "sctp"), ("ws", "ws"), ("wss", "wss"), ("empty", ""), ("leading space", " udp"),
                     ("trailing space", "udp "), ("version suffix", "tls1.2"), ("null", None), ("number", 1),
                     ("boolean", True), ("array", ["udp"])]:
    err("invalid_transport: " + label, "invalid_transport", "transport", s("a.example.com", transport=value))

# ---------------------------------------------------------------- invalid_cps_limit / key
for label, value in [("zero", 0), ("negative", -1), ("10001", 10001), ("float", 1.5),
                     ("string", "10"), ("boolean", True), ("array", [10]), ("object", {"n": 10})]:
    err("invalid_cps_limit: " + label, "invalid_cps_limit", "cpsLimit", s("a.example.com", cpsLimit=value))
# As raw text: a JSON parser of a language without a float/integer distinction (JavaScript)
# would read 10.0 as 10 before the body reached sipcreds.
err("invalid_cps_limit: float with zero fraction", "invalid_cps_limit", "cpsLimit", raw='{"server":"a.example.com","cpsLimit":10.0}')
err("invalid_cps_limit: exponent", "invalid_cps_limit", "cpsLimit", raw='{"server":"a.example.com","cpsLimit":1e3}')
err("invalid_cps_limit: beyond u64", "invalid_cps_limit", "cpsLimit", raw='{"server":"a.example.com","cpsLimit":99999999999999999999}')
err("invalid_cps_limit: beyond i64 negative", "invalid_cps_limit", "cpsLimit", raw='{"server":"a.example.com","cpsLimit":-99999999999999999999}')
for label, value in [("empty", ""), ("65 chars", "k" * 65), ("space", "a b"), ("slash", "a/b"), ("at", "a@b"),
                     ("non-ascii", "clé"), ("number", 5), ("boolean", False)]:
    err("invalid_cps_key: " + label, "invalid_cps_key", "cpsKey", s("a.example.com", cpsKey=value))

# ---------------------------------------------------------------- invalid_name
for label, value in [("empty", ""), ("101 chars", "n" * 101), ("newline", "a\nb"), ("tab", "a\tb"), ("NUL", "a\u0000b"),
                     ("DEL", "a\u007fb"), ("C1 control", "a\u0085b"), ("bidi override", "abc\u202edef"),
                     ("number", 5), ("boolean", True), ("object", {"x": 1})]:
    err("invalid_name: " + label, "invalid_name", "name", s("a.example.com", name=value))

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "credentials.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(V, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(f"{len(V)} vectors -> {path}")
