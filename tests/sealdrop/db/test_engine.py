"""SQLite set-up: no journal keeps deleted rows, files are private, two writers take turns."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

from sqlalchemy import text

from sealdrop.db import migrate
from sealdrop.db.engine import make_engine

MARKER = "deleted-row-marker-7f3a9c"


def database_files(path: Path) -> dict[str, bytes]:
    """The database and every journal SQLite may leave beside it."""
    return {p.name: p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name)}


def test_a_deleted_row_is_in_no_database_file(tmp_path: Path) -> None:
    path = tmp_path / "sealdrop.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO instance_settings (id, allow_document_uploads,"
                " organization_name) VALUES (1, 1, :name)"
            ),
            {"name": MARKER * 50},
        )
    assert any(MARKER.encode() in data for data in database_files(path).values())

    with engine.begin() as connection:
        connection.execute(text("DELETE FROM instance_settings"))
    with engine.connect() as connection:  # a reader still open, as a web worker would be
        mode = connection.execute(text("PRAGMA journal_mode")).scalar()

        files = database_files(path)
        assert mode == "delete"
        assert sorted(files) == ["sealdrop.sqlite"], "no -wal, -shm or -journal left over"
        assert not any(MARKER.encode() in data for data in files.values())
    engine.dispose()


def test_the_database_file_is_private_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "new" / "sealdrop.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x)"))
    engine.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_two_processes_worth_of_writers_take_turns(tmp_path: Path) -> None:
    """Without WAL a writer waits for the other (busy_timeout) instead of failing."""
    url = f"sqlite:///{tmp_path / 'sealdrop.sqlite'}"
    setup = make_engine(url)
    with setup.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    setup.dispose()
    engines = [make_engine(url) for _ in range(2)]
    errors: list[BaseException] = []

    def write(engine_index: int) -> None:
        try:
            for n in range(50):
                with engines[engine_index].begin() as connection:
                    connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                    connection.execute(text("SELECT count(*) FROM t")).scalar()
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engines[0].connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 200
    for engine in engines:
        engine.dispose()
    assert errors == []


def test_sqlite_engines_share_compiled_statements_and_nothing_else(tmp_path: Path) -> None:
    first = make_engine(f"sqlite:///{tmp_path / 'first.sqlite'}")
    second = make_engine(f"sqlite:///{tmp_path / 'second.sqlite'}")
    create = text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    insert = text("INSERT INTO t (name) VALUES (:name)")
    count = text("SELECT count(*) FROM t WHERE name = :name")
    try:
        with first.begin() as connection:
            connection.execute(create)
            connection.execute(insert, {"name": "only in the first"})
        with second.begin() as connection:
            connection.execute(create)
            # Compiled once, by the first engine: a cache hit here.
            done = connection.execute(insert, {"name": "only in the second"})
            assert done.context.cache_hit == second.dialect.CACHE_HIT
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        with first.connect() as a, second.connect() as b:
            assert a.execute(count, {"name": "only in the second"}).scalar() == 0
            assert b.execute(count, {"name": "only in the first"}).scalar() == 0
            assert b.execute(count, {"name": "only in the second"}).scalar() == 1
    finally:
        first.dispose()
        second.dispose()
