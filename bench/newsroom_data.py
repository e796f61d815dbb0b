"""The newsroom the journalist benchmark reads: rows inserted directly (no gpg, no files, so
ten thousand sources take seconds), a source whose files are downloaded, and a journalist.

Used by bench/journalist.py; the rows are as the services would leave them.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from pathlib import Path

from sqlalchemy import insert

from sealdrop.config import Config
from sealdrop.db.models import Reply, Source, Submission
from sealdrop.domain import designations
from sealdrop.runtime.instance import open_instance
from sealdrop.services import journalist_auth, journalists
from sealdrop.services.journalists import Profile, TwoFactor
from sealdrop.storage.store import Store

PASSPHRASE = "timing pages for a newsroom, seven words long"  # noqa: S105 - a throwaway
DAY = dt.date(2026, 11, 1)
BATCH = 5000


def fill(config: Config, *, sources: int, items: int, seed: int = 1) -> None:
    """Rows as the services would leave them, inserted in batches (no gpg, no files)."""
    rng = random.Random(seed)  # noqa: S311 - names and sizes only, nothing secret
    taken: set[str] = set()
    source_rows: list[dict[str, object]] = []
    while len(source_rows) < sources:
        designation = designations.draw(rng)
        if designation in taken:
            continue
        taken.add(designation)
        n = len(source_rows)
        source_rows.append(
            {
                "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                "filesystem_id": f"{n:052d}".translate(str.maketrans("0123456789", "abcdefghij")),
                "journalist_designation": designation,
                "key_fingerprint": f"{n:040X}",
                "public_key": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n(bench)\n",
                "secret_key": b"(bench: never read)",
                "interaction_count": 0,
                "is_starred": n % 50 == 0,
                "created_on": DAY,
                "last_updated": DAY + dt.timedelta(days=n % 30),
            }
        )
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            for start in range(0, len(source_rows), BATCH):
                session.execute(insert(Source), source_rows[start : start + BATCH])
            ids = [row.id for row in session.query(Source.id).order_by(Source.id)]
            counts = dict.fromkeys(ids, 0)
            submissions, replies = [], []
            for n in range(items):
                source_id = ids[n % len(ids)]
                counts[source_id] += 1
                row = {
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                    "source_id": source_id,
                    "filename": f"{counts[source_id]}-s{source_id}-x-{n}.gpg",
                    "size": rng.randint(500, 5_000_000),
                    "interaction_count": counts[source_id],
                }
                if n % 10 == 9:
                    replies.append({**row, "deleted_by_source": False})
                else:
                    kind = "file" if n % 3 == 0 else "message"
                    submissions.append({**row, "kind": kind, "is_read": n % 4 == 0})
            for start in range(0, len(submissions), BATCH):
                session.execute(insert(Submission), submissions[start : start + BATCH])
            for start in range(0, len(replies), BATCH):
                session.execute(insert(Reply), replies[start : start + BATCH])
            session.commit()
    finally:
        inst.close()


def add_download_source(config: Config, *, items: int, large: int) -> tuple[str, str, list[Path]]:
    """A source with `items` small random files and one sparse file of `large` bytes."""
    rng = random.Random(2)  # noqa: S311 - sizes only
    store = Store(config.store_dir)
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            source = Source(
                filesystem_id="z" * 52,
                journalist_designation="bench download",
                key_fingerprint="F" * 40,
                public_key="(bench)",
                secret_key=b"(bench)",
                created_on=DAY,
                last_updated=DAY,
            )
            session.add(source)
            session.flush()
            paths, large_uuid = [], ""
            for n in range(1, items + 2):
                name = f"{n}-bench-download-{'doc.gz' if n > items else 'msg'}.gpg"
                path = store.path_of(source.filesystem_id, name)
                path.parent.mkdir(mode=0o700, exist_ok=True)
                with path.open("wb") as handle:
                    if n > items:
                        handle.truncate(large)  # sparse: no disk, reads as fast as RAM
                    else:
                        handle.write(rng.randbytes(rng.randint(1_000, 64_000)))
                kind = "file" if n > items else "message"
                item = Submission(
                    source_id=source.id,
                    filename=name,
                    kind=kind,
                    size=path.stat().st_size,
                    interaction_count=n,
                )
                session.add(item)
                session.flush()
                large_uuid = item.uuid
                paths.append(path)
            source.interaction_count = items + 1
            session.commit()
            return source.uuid, large_uuid, paths
    finally:
        inst.close()


def add_journalist(config: Config) -> tuple[str, str]:
    """The bench journalist's TOTP secret (for the web login) and an API token."""
    inst = open_instance(config)
    try:
        with inst.sessions() as session:
            journalist = journalists.create(
                session,
                profile=Profile("bench"),
                passphrase=PASSPHRASE,
                second_factor=TwoFactor.new_totp(),
                cost=journalists.argon2_cost(config),
                today=DAY,
            )
            session.commit()
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            token, _ = journalist_auth.issue_token(session, journalist, now=now, hours=2)
            return journalist.otp_secret, token
    finally:
        inst.close()
