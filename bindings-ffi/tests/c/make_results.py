"""Write the result-shape vectors (tests/vectors/results.json) in a form a C program reads
without a JSON parser: for each step, the operation, the number of arguments, each argument
(in the order the C function takes them) as a length-prefixed byte string, then the expected
text, length-prefixed."""

import json
import sys
from pathlib import Path

ORDER = {
    "create_credential": ["org", "body"],
    "get_credential": ["org", "id"],
    "update_credential": ["org", "id", "body"],
    "usage": ["org", "id"],
    "delete_credential": ["org", "id", "force"],
    "link_number": ["org", "number", "credentialId"],
    "unlink_number": ["org", "number"],
    "delete_number": ["org", "number"],
    "create_agent": ["org", "name"],
    "get_agent": ["org", "id"],
    "assign_number": ["org", "agentId", "number"],
    "delete_agent": ["org", "id"],
    "connect_provider": ["org", "kind", "name", "body"],
    "delete_provider": ["org", "id"],
}

src = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "tests" / "vectors" / "results.json")
out = sys.stdout.buffer


def chunk(b: bytes) -> None:
    out.write(f"{len(b)}\n".encode() + b + b"\n")


for step in json.loads(src.read_text(encoding="utf-8"))["steps"]:
    names = ORDER[step["op"]]
    out.write(f"{step['op']}\n{len(names)}\n".encode())
    for n in names:
        v = step[n]
        chunk((v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":"))).encode())
    chunk(step["expect"].encode())
