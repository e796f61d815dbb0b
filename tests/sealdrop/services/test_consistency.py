"""`sealdrop check`: the database and the store agree, and each disagreement is reported."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from sealdrop.db import migrate
from sealdrop.errors import ConfigError
from sealdrop.runtime.instance import Instance
from sealdrop.services.consistency import check, find_problems
from sealdrop.services.replies import create_reply
from sealdrop.services.submissions import accept, open_upload
from sealdrop.services.uploads import UploadBudget
from tests.harness import TODAY, ConfigFactory, ReaderKeys, new_source


@dataclass(frozen=True)
class Stocked:
    """An instance holding one source with a message, a file and a reply."""

    instance: Instance
    source_dir: Path
    files: list[Path]

    def problems(self) -> list[str]:
        with self.instance.sessions() as session:
            return find_problems(session, self.instance.store)


@pytest.fixture
def stocked(instance: Instance, reader_keys: ReaderKeys) -> Stocked:
    key = reader_keys.key
    with instance.sessions() as session:
        _, login = new_source(instance, session)
        source = login.source
        upload = open_upload(
            instance.store,
            instance.gpg,
            source=source,
            filename="f.txt",
            recipients=[key],
            budget=UploadBudget(10_000),
        )
        upload.write(b"file")
        upload.finish()
        records = accept(
            session,
            instance.store,
            instance.gpg,
            source=source,
            message="m",
            uploads=[upload],
            recipients=[key],
            today=TODAY,
        )
        reply = create_reply(
            session,
            instance.store,
            instance.gpg,
            source=source,
            text="r",
            readers=[key],
            today=TODAY,
        )
        directory = instance.store.root / source.filesystem_id
    names = [record.filename for record in records] + [reply.filename]
    return Stocked(instance, directory, [directory / name for name in names])


def test_good_store_has_no_problems(stocked: Stocked) -> None:
    assert len(stocked.files) == 3
    assert stocked.problems() == []


def test_missing_file(stocked: Stocked) -> None:
    stocked.files[1].unlink()
    problems = stocked.problems()
    assert len(problems) == 1
    assert problems[0].startswith("missing file:")
    assert stocked.files[1].name in problems[0]


def test_stray_file_of_a_known_source(stocked: Stocked) -> None:
    stray = stocked.source_dir / stocked.files[0].name.replace("1-", "9-", 1)
    shutil.copy(stocked.files[0], stray)
    stray.chmod(0o600)
    assert stocked.problems() == [
        f"stray file: {stocked.source_dir.name}/{stray.name} is on disk only"
    ]


def test_leftover_staging_file_is_reported(stocked: Stocked) -> None:
    stocked.instance.store.staging_path(stocked.source_dir.name).write_bytes(b"")
    [problem] = stocked.problems()
    assert problem.startswith("staged file: .staging/.") and "left by a crash" in problem


def test_directory_of_no_source(stocked: Stocked) -> None:
    orphan = stocked.instance.store.root / ("b" * 52)
    orphan.mkdir(mode=0o700)
    (orphan / "1-x-y-msg.gpg").write_bytes(b"")
    assert stocked.problems() == [f"stray file: {orphan.name}/1-x-y-msg.gpg belongs to no source"]


def test_empty_directory_of_no_source(stocked: Stocked) -> None:
    """Left by an older version when a new source's upload was cut: it dates an attempt."""
    orphan = stocked.instance.store.root / ("c" * 52)
    orphan.mkdir(mode=0o700)
    assert stocked.problems() == [f"empty folder: {orphan.name}/ belongs to no source"]


def test_stray_entry_in_the_root(stocked: Stocked) -> None:
    (stocked.instance.store.root / "notes.txt").write_text("hi")
    assert stocked.problems() == ["stray entry in the store root: notes.txt"]


def test_wrong_file_mode(stocked: Stocked) -> None:
    stocked.files[2].chmod(0o644)
    [problem] = stocked.problems()
    assert stocked.files[2].name in problem
    assert "mode 0o644, expected 0o600" in problem


def test_wrong_directory_modes(stocked: Stocked) -> None:
    stocked.source_dir.chmod(0o755)
    stocked.instance.store.root.chmod(0o750)
    problems = stocked.problems()
    assert len(problems) == 2
    assert any("mode 0o750, expected 0o700" in problem for problem in problems)
    assert any(
        problem.startswith(f"{stocked.source_dir.name}/: mode 0o755") for problem in problems
    )


def test_check_reads_the_data_directory(stocked: Stocked) -> None:
    config = stocked.instance.config
    assert check(config).problems == []
    stocked.files[0].unlink()
    [problem] = check(config).problems
    assert problem.startswith(f"missing file: {stocked.source_dir.name}/{stocked.files[0].name}")


def test_check_before_init_is_a_clear_error(make_config: ConfigFactory) -> None:
    with pytest.raises(ConfigError, match="sealdrop init"):
        check(make_config())


def test_check_refuses_an_old_schema(stocked: Stocked) -> None:
    migrate.downgrade(stocked.instance.engine, "0001")
    with pytest.raises(ConfigError, match="schema is not current"):
        check(stocked.instance.config)


def test_check_verifies_private_modes(make_config: ConfigFactory, reader_keys: ReaderKeys) -> None:
    with make_config.instance(submission_key=reader_keys.public_key) as instance:
        config = instance.config
    assert check(config).problems == []
    database = config.database_path
    assert database is not None
    for path, mode in ((config.data_dir, 0o755), (config.secrets_path, 0o644), (database, 0o644)):
        path.chmod(mode)

    problems = check(config).problems

    assert problems == [
        f"{config.data_dir}: mode 0o755, expected 0o700",
        f"{config.secrets_path}: mode 0o644, expected 0o600",
        f"{database}: mode 0o644, expected 0o600",
    ]
