"""The environment of the config tests: a data directory under tmp_path, its secrets file."""

from __future__ import annotations

from pathlib import Path


def data_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    return {"SEALDROP_DATA_DIR": str(tmp_path / "data"), **variables}


SALTS = 'filesystem_id_salt = "00ff"\nreply_key_salt = "0102"\nsource_session_key = "aa"\n'


def write_secrets(tmp_path: Path, text: str) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secrets.toml").write_text(text, encoding="utf-8")
