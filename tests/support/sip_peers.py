"""The SIP peers of the Python test suites (the Python package's and the dashboard's): a real
Kamailio on loopback, started from Debian's package on ports of its own and stopped by its
process group. Put this folder on sys.path (both suites' conftest.py do)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

KAMAILIO = shutil.which("kamailio") or ("/usr/sbin/kamailio" if os.path.exists("/usr/sbin/kamailio") else None)

CONFIG = """#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=1
tcp_children=1
auto_aliases=no
listen=udp:127.0.0.1:{port}
listen=tcp:127.0.0.1:{port}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "auth.so"
modparam("auth", "algorithm", "{algorithm}")
request_route {{
  if (is_method("OPTIONS")) {{ sl_send_reply("200", "OK"); exit; }}
  if (is_method("REGISTER")) {{
    if (!pv_auth_check("{realm}", "{password}", "0", "1")) {{
      auth_challenge("{realm}", "1");
      exit;
    }}
    sl_send_reply("200", "OK");
    exit;
  }}
  sl_send_reply("405", "Method Not Allowed");
}}
"""


def free_port() -> int:
    """A port free on loopback for both UDP and TCP."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = int(t.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port


@contextmanager
def kamailio(algorithm: str = "MD5", realm: str = "sip.test", password: str = "secret") -> Iterator[int]:
    """A Kamailio on UDP and TCP 127.0.0.1:port (yielded) that answers OPTIONS with 200 and
    challenges REGISTER in `realm` with `algorithm`, accepting `password` for any user.
    The caller checks that KAMAILIO is not None first."""
    assert KAMAILIO is not None, "kamailio is not installed"
    port = free_port()
    with tempfile.TemporaryDirectory() as d:
        cfg = Path(d) / "k.cfg"
        cfg.write_text(CONFIG.format(port=port, algorithm=algorithm, realm=realm, password=password))
        log = open(Path(d) / "log", "w")
        proc = subprocess.Popen(
            [KAMAILIO, "-f", str(cfg), "-P", str(Path(d) / "pid"), "-E", "-DD", "-w", d],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 10
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", 0))
                me = s.getsockname()[1]
                s.settimeout(0.1)
                while True:
                    assert proc.poll() is None, (Path(d) / "log").read_text()
                    s.sendto(
                        (
                            f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{me};branch=z9hG4bKw\r\n"
                            "From: <sip:w@x>;tag=1\r\nTo: <sip:x>\r\nCall-ID: w\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
                        ).encode(),
                        ("127.0.0.1", port),
                    )
                    try:
                        if s.recv(2048).startswith(b"SIP/2.0"):
                            break
                    except OSError:
                        pass
                    assert time.monotonic() < deadline, "kamailio does not answer: " + (Path(d) / "log").read_text()[-2000:]
            yield port
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(3)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.close()
