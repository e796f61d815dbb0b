"""The data directory's secrets file: its salts, damage to it, and the KDF cost pinned at init."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealdrop.config import KdfCost, load_config
from sealdrop.errors import ConfigError
from tests.sealdrop.config_env import SALTS, data_env, write_secrets


# Data directories made before the rename name the first salt source_id_salt.
@pytest.mark.parametrize("salt_name", ["filesystem_id_salt", "source_id_salt"])
def test_secrets_file_is_read(tmp_path: Path, salt_name: str) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secrets.toml").write_text(
        f'{salt_name} = "00ff"\nreply_key_salt = "0102"\nsource_session_key = "aa"\n',
        encoding="utf-8",
    )
    secrets = load_config(data_env(tmp_path)).require_secrets()

    assert (secrets.filesystem_id_salt, secrets.reply_key_salt) == (b"\x00\xff", b"\x01\x02")
    assert secrets.source_session_key == b"\xaa"


@pytest.mark.parametrize(
    "text",
    [
        'filesystem_id_salt = "00"\n',
        'filesystem_id_salt = "zz"\nreply_key_salt = "00"\nsource_session_key = "00"\n',
        'filesystem_id_salt = 1\nreply_key_salt = "00"\nsource_session_key = "00"\n',
    ],
)
def test_damaged_secrets_file(tmp_path: Path, text: str) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secrets.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="is damaged"):
        load_config(data_env(tmp_path))


def test_kdf_cost_pinned_at_init_wins_over_the_default(tmp_path: Path) -> None:
    write_secrets(tmp_path, SALTS + "kdf = { n = 2048, r = 4, p = 2 }\n")
    config = load_config(data_env(tmp_path))
    assert config.kdf == KdfCost(n=2048, r=4, p=2)
    assert config.require_secrets().kdf == KdfCost(n=2048, r=4, p=2)


def test_same_kdf_cost_in_the_environment_is_fine(tmp_path: Path) -> None:
    write_secrets(tmp_path, SALTS + "kdf = { n = 2048, r = 4, p = 2 }\n")
    config = load_config(
        data_env(tmp_path, SEALDROP_KDF_N="2048", SEALDROP_KDF_R="4", SEALDROP_KDF_P="2")
    )
    assert config.kdf == KdfCost(n=2048, r=4, p=2)


@pytest.mark.parametrize(("variable", "value"), [("N", "4096"), ("R", "8"), ("P", "1")])
def test_another_kdf_cost_than_the_pinned_one_is_refused(
    tmp_path: Path, variable: str, value: str
) -> None:
    write_secrets(tmp_path, SALTS + "kdf = { n = 2048, r = 4, p = 2 }\n")
    pinned = {"SEALDROP_KDF_N": "2048", "SEALDROP_KDF_R": "4", "SEALDROP_KDF_P": "2"}
    with pytest.raises(ConfigError, match="would lock every source out"):
        load_config(data_env(tmp_path, **{**pinned, f"SEALDROP_KDF_{variable}": value}))


def test_secrets_without_a_kdf_cost_still_load(tmp_path: Path) -> None:
    """Files written before the cost was recorded: the environment's cost is used, as before."""
    write_secrets(tmp_path, SALTS)
    config = load_config(data_env(tmp_path, SEALDROP_KDF_N="1024"))
    assert config.kdf == KdfCost(n=1024, r=8, p=1)
    assert config.require_secrets().kdf is None
