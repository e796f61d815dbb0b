"""How long the journalist API v2 index takes at many sources: rows are inserted directly (no gpg,
so building 10,000 sources takes seconds), then GET /api/v2/index is timed through the app.

    .venv/bin/python -m bench.api_index [SOURCES]
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask

from journalist_interface import create_app
from sealdrop.config import load_config
from sealdrop.db.models import Journalist, Source, Submission
from sealdrop.runtime.initialise import initialise
from sealdrop.runtime.instance import Instance, open_instance
from sealdrop.services import journalist_auth
from sealdrop.services.journalists import Profile, TwoFactor, argon2_cost, create

DAY = dt.date(2026, 11, 30)
ITEMS_PER_SOURCE = 3
ROUNDS = 5


def fill(inst: Instance, sources: int) -> str:
    """`sources` sources with three messages each, and a token to read them with."""
    with inst.sessions() as session:
        for n in range(sources):
            source = Source(
                filesystem_id=secrets.token_hex(26),
                journalist_designation=f"bench source{n}",
                key_fingerprint=f"{n:040X}",
                interaction_count=ITEMS_PER_SOURCE,
                created_on=DAY,
                last_updated=DAY,
            )
            session.add(source)
            session.flush()
            for i in range(1, ITEMS_PER_SOURCE + 1):
                session.add(
                    Submission(
                        source_id=source.id,
                        filename=f"{i}-bench-source{n}-msg.gpg",
                        kind="message",
                        size=600,
                        interaction_count=i,
                    )
                )
        journalist: Journalist = create(
            session,
            profile=Profile("bench"),
            passphrase="violin tundra pebble swerve oasis lantern fjord",  # noqa: S106 - a bench account
            second_factor=TwoFactor.new_totp(),
            cost=argon2_cost(inst.config),
            today=DAY,
        )
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        token, _ = journalist_auth.issue_token(session, journalist, now=now, hours=1)
        return token


def timed_index(app: Flask, token: str, etag: str | None = None) -> tuple[float, int, str]:
    headers = {"Host": "127.0.0.1", "Authorization": f"Token {token}"}
    if etag:
        headers["If-None-Match"] = etag
    started = time.perf_counter()
    response = app.test_client().get("/api/v2/index", headers=headers)
    seconds = time.perf_counter() - started
    return seconds, response.status_code, response.headers["ETag"]


def main() -> None:
    sources = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    base = Path(tempfile.mkdtemp(prefix="sdb-"))
    env = {
        "SEALDROP_DATA_DIR": str(base / "data"),
        "SEALDROP_MIN_FREE_BYTES": "0",
        "SEALDROP_JOURNALIST_ARGON2_TIME_COST": "1",
        "SEALDROP_JOURNALIST_ARGON2_MEMORY_KIB": "64",
    }
    try:
        initialise(load_config(env), submission_key=None)
        inst = open_instance(load_config(env))
        token = fill(inst, sources)
        app = create_app(inst.config, instance=inst)
        first, _, etag = timed_index(app, token)  # computes and stores every version once
        full = sorted(timed_index(app, token)[0] for _ in range(ROUNDS))
        unchanged = sorted(timed_index(app, token, etag)[0] for _ in range(ROUNDS))
        records = sources * (1 + ITEMS_PER_SOURCE)
        print(f"{sources} sources, {records} records (SQLite)")
        print(f"first index (fills every version): {first * 1000:.0f} ms")
        print(f"index, 200, median of {ROUNDS}: {full[ROUNDS // 2] * 1000:.0f} ms")
        print(f"index, 304, median of {ROUNDS}: {unchanged[ROUNDS // 2] * 1000:.0f} ms")
        inst.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
