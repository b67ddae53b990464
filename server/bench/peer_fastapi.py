"""The peer of the HTTP API benchmark: what a team would write instead of `sipcreds serve`,
for the same create / get / page: FastAPI + pydantic v2 + SQLite (the standard library's
sqlite3, one connection per worker thread, WAL), bearer tokens checked against their SHA-256
in the database on every request like sipcreds does. Run by server/benches/http.rs through
uvicorn (one worker process, uvloop/httptools when installed).

It checks less than sipcreds does (a host pattern instead of RFC 3261/IDNA rules, no
optimistic concurrency, no rate groups) and stores the password in clear: every shortcut is
in its favour.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
import uuid
from typing import Annotated, Literal, Optional

from fastapi import Depends, FastAPI, Header, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

DB = os.environ.get("PEER_DB", "peer.db")
HOST = r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(:[0-9]{1,5})?$"

_local = threading.local()


def db() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DB, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        _local.conn = conn
    return conn


def init() -> None:
    c = db()
    c.execute(
        "CREATE TABLE IF NOT EXISTS credentials (id TEXT PRIMARY KEY, org TEXT NOT NULL, name TEXT, "
        "server TEXT NOT NULL, transport TEXT NOT NULL, auth_user TEXT, password TEXT, domain TEXT, "
        "cps_limit INTEGER, cps_key TEXT, version INTEGER NOT NULL, created_at TEXT NOT NULL, "
        "updated_at TEXT NOT NULL)"
    )
    c.execute("CREATE INDEX IF NOT EXISTS by_org ON credentials (org, id)")
    c.execute("CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, org TEXT NOT NULL)")
    token = os.environ.get("PEER_TOKEN")
    if token:
        h = hashlib.sha256(token.encode()).hexdigest()
        c.execute("INSERT OR IGNORE INTO tokens (hash, org) VALUES (?, 'acme')", (h,))


class CredentialInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[Annotated[str, Field(min_length=1, max_length=100)]] = None
    server: Annotated[str, Field(pattern=HOST, max_length=259)]
    transport: Literal["udp", "tcp", "tls"] = "udp"
    authUser: Optional[Annotated[str, Field(min_length=1, max_length=128)]] = None
    authPassword: Optional[Annotated[str, Field(min_length=1, max_length=256)]] = None
    domain: Optional[Annotated[str, Field(pattern=HOST, max_length=253)]] = None
    cpsLimit: Optional[Annotated[int, Field(ge=1, le=10000)]] = None
    cpsKey: Optional[Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]] = None

    @field_validator("server")
    @classmethod
    def lower(cls, v: str) -> str:
        return v.lower()


class Credential(BaseModel):
    id: str
    org: str
    name: Optional[str]
    server: str
    transport: str
    authUser: Optional[str]
    hasPassword: bool
    domain: Optional[str]
    cpsLimit: Optional[int]
    cpsKey: Optional[str]
    version: int
    createdAt: str
    updatedAt: str


class Page(BaseModel):
    items: list[Credential]
    next: Optional[str]


app = FastAPI()
init()


def caller(authorization: Annotated[Optional[str], Header()] = None) -> str:
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(401, "unauthorized")
    h = hashlib.sha256(authorization[7:].encode()).hexdigest()
    row = db().execute("SELECT org FROM tokens WHERE hash = ?", (h,)).fetchone()
    if row is None:
        raise HTTPException(401, "unauthorized")
    return str(row[0])


def of_row(r: tuple) -> Credential:
    return Credential(
        id=r[0], org=r[1], name=r[2], server=r[3], transport=r[4], authUser=r[5],
        hasPassword=r[6] is not None, domain=r[7], cpsLimit=r[8], cpsKey=r[9], version=r[10],
        createdAt=r[11], updatedAt=r[12],
    )


COLS = "id, org, name, server, transport, auth_user, password, domain, cps_limit, cps_key, version, created_at, updated_at"


@app.post("/v1/orgs/{org}/credentials", status_code=201, response_model=Credential)
def create(org: str, body: CredentialInput, who: str = Depends(caller)) -> Credential:
    if who != org:
        raise HTTPException(404, "not_found")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cid = "cred_" + uuid.uuid4().hex
    row = (cid, org, body.name, body.server, body.transport, body.authUser, body.authPassword,
           body.domain, body.cpsLimit, body.cpsKey, 1, now, now)
    db().execute(f"INSERT INTO credentials ({COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
    return of_row(row)


@app.get("/v1/orgs/{org}/credentials/{cid}", response_model=Credential)
def get(org: str, cid: str, who: str = Depends(caller)) -> Credential:
    if who != org:
        raise HTTPException(404, "not_found")
    r = db().execute(f"SELECT {COLS} FROM credentials WHERE org = ? AND id = ?", (org, cid)).fetchone()
    if r is None:
        raise HTTPException(404, "not_found")
    return of_row(r)


@app.get("/v1/orgs/{org}/credentials", response_model=Page)
def page(
    org: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: str = "",
    who: str = Depends(caller),
) -> Page:
    if who != org:
        raise HTTPException(404, "not_found")
    rows = db().execute(
        f"SELECT {COLS} FROM credentials WHERE org = ? AND id > ? ORDER BY id LIMIT ?",
        (org, after, limit + 1),
    ).fetchall()
    items = [of_row(r) for r in rows[:limit]]
    return Page(items=items, next=items[-1].id if len(rows) > limit else None)


@app.exception_handler(HTTPException)
def error(_request: object, exc: HTTPException) -> JSONResponse:
    return JSONResponse({"error": {"code": exc.detail, "message": exc.detail}}, status_code=exc.status_code)
