"""Seed the corpora of the parser targets from the shared conformance vectors."""
import hashlib
import json
from pathlib import Path

here = Path(__file__).resolve().parent
vectors = json.loads((here.parent / "tests" / "vectors" / "credentials.json").read_text(encoding="utf-8"))


def put(target: str, data: bytes) -> None:
    d = here / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


for v in vectors:
    body = (v["raw"] if "raw" in v else json.dumps(v["input"], ensure_ascii=False)).encode()
    put("credential_json", body)
    put("patch_json", body)
    inp = v.get("input")
    if isinstance(inp, dict) and isinstance(inp.get("server"), str):
        put("server", inp["server"].encode())
for n in ["+14155550100", "+442071838750", "+1", "14155550100", "+0123456789", "+1415555010012345", "+1 415 555 0100", "+１４１５５５５０１００"]:
    put("e164", n.encode())
print("seeded", {p.name: len(list(p.iterdir())) for p in (here / "corpus").iterdir()})
