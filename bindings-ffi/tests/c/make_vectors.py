"""Write the shared conformance vectors in a form a C program reads without a JSON parser:
for each vector, its name, the expected status name, the expected error field (or "-"), the
body as a length-prefixed byte string, and the expected output fields as compact JSON
fragments ("key":value), which must appear in the library's output."""

import json
import sys
from pathlib import Path

src = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "tests" / "vectors" / "credentials.json")
out = sys.stdout.buffer
for v in json.loads(src.read_text(encoding="utf-8")):
    body = (v["raw"] if "raw" in v else json.dumps(v["input"], ensure_ascii=False)).encode()
    if b"\0" in body:
        continue  # a C string cannot carry it
    if "expect" in v:
        code, field = "ok", "-"
        frags = [json.dumps(k) + ":" + json.dumps(x, ensure_ascii=False, separators=(",", ":")) for k, x in v["expect"].items()]
    else:
        code, field = v["error"]["code"], v["error"]["field"] or "-"
        frags = []
    out.write(f"{v['name']}\n{code}\n{field}\n{len(body)}\n".encode())
    out.write(body + b"\n")
    out.write(f"{len(frags)}\n".encode())
    for f in frags:
        out.write(f.encode() + b"\n")
