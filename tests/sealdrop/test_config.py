"""load_config: defaults, the environment over TOML, and an error naming each bad variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealdrop.config import Config, KdfCost, load_config
from sealdrop.errors import ConfigError
from tests.sealdrop.config_env import data_env


def test_defaults(tmp_path: Path) -> None:
    config = load_config(data_env(tmp_path))

    assert config.data_dir == tmp_path / "data"
    assert config.database_url == f"sqlite:///{tmp_path / 'data' / 'sealdrop.sqlite'}"
    assert config.kdf == KdfCost(n=2**14, r=8, p=1)
    assert config.max_upload_bytes == 500_000_000
    assert config.min_free_bytes == 1_000_000_000
    assert config.languages == ("en", "fr")
    assert config.source.onion is None
    assert config.store_dir == tmp_path / "data" / "store"
    assert config.legacy_gpg_home == tmp_path / "data" / "gpg"
    assert config.gpg_scratch_dir == Path("/dev/shm")
    assert config.secrets is None
    assert config.source.session_max_hours == 8
    assert config.source.bind == "127.0.0.1:8080"


def test_missing_secrets_are_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sealdrop init"):
        load_config(data_env(tmp_path)).require_secrets()


def test_other_environment_variables_are_ignored(tmp_path: Path) -> None:
    config = load_config(data_env(tmp_path, PATH="/bin", HOME="/root", SEALDROPX="1"))

    assert config == load_config(data_env(tmp_path))


def test_relative_data_dir_becomes_absolute() -> None:
    assert load_config({"SEALDROP_DATA_DIR": "rel"}).data_dir == Path.cwd() / "rel"


def test_environment_wins_over_toml(tmp_path: Path) -> None:
    toml = tmp_path / "sealdrop.toml"
    toml.write_text(
        f'data_dir = "{tmp_path / "from-file"}"\n'
        'instance_name = "File News"\nmax_upload_bytes = 10\nlanguages = ["en", "de"]\n',
        encoding="utf-8",
    )
    config = load_config({"SEALDROP_CONFIG": str(toml), "SEALDROP_MAX_UPLOAD_BYTES": "20"})

    assert config.data_dir == tmp_path / "from-file"
    assert config.instance_name == "File News"
    assert config.max_upload_bytes == 20
    assert config.languages == ("en", "de")


def test_values_are_parsed(tmp_path: Path) -> None:
    config = load_config(
        data_env(
            tmp_path,
            SEALDROP_LANGUAGES=" en , pt_BR ",
            SEALDROP_MIN_FREE_BYTES="0",
            SEALDROP_KDF_N="1024",
            SEALDROP_KDF_R="4",
            SEALDROP_KDF_P="2",
            SEALDROP_SOURCE_ONION="abc.onion",
            SEALDROP_DATABASE_URL="postgresql+psycopg://x@h/db",
        )
    )

    assert config.languages == ("en", "pt_BR")
    assert config.min_free_bytes == 0
    assert config.kdf == KdfCost(n=1024, r=4, p=2)
    assert config.source.onion == "abc.onion"
    assert config.database_url == "postgresql+psycopg://x@h/db"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MAX_UPLOAD_BYTES", "ten"),
        ("MAX_UPLOAD_BYTES", "0"),
        ("MAX_MESSAGE_BYTES", "-5"),
        ("SESSION_MINUTES", "1.5"),
        ("MIN_FREE_BYTES", "-1"),
        ("MIN_FREE_BYTES", "lots"),
        ("FAILED_LOGINS_PER_CODENAME", ""),
        ("FAILED_LOGINS_GLOBAL", "0"),
        ("THROTTLE_WINDOW_SECONDS", "1e3"),
        ("SOURCE_WORKERS", "two"),
        ("INSTANCE_NAME", "   "),
        ("INSTANCE_NAME", "News\x1bDesk"),
        ("DATABASE_URL", ""),
        ("SOURCE_BIND", "127.0.0.1:80\n80"),
        ("LANGUAGES", "en;fr"),
        ("LANGUAGES", " , "),
        ("LANGUAGES", "xx"),
        ("LANGUAGES", "en,klingon"),
        ("SESSION_MAX_HOURS", "0"),
        ("NEW_SOURCES_PER_WINDOW", "many"),
        ("NEW_SOURCES_PER_WINDOW", "-1"),
        ("KDF_N", "zero"),
        ("KDF_R", "0"),
        ("KDF_P", "-1"),
    ],
)
def test_bad_value_names_its_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"SEALDROP_{variable}"):
        load_config(data_env(tmp_path, **{f"SEALDROP_{variable}": value}))


@pytest.mark.parametrize("value", ["1", "2", "3", "512", "1000", "1025", "12288"])
def test_kdf_n_must_be_a_power_of_two_of_at_least_1024(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="SEALDROP_KDF_N must be a power of two of at least 1024"):
        load_config(data_env(tmp_path, SEALDROP_KDF_N=value))


@pytest.mark.parametrize("value", ["1024", "65536"])
def test_kdf_n_powers_of_two_pass(tmp_path: Path, value: str) -> None:
    assert load_config(data_env(tmp_path, SEALDROP_KDF_N=value)).kdf.n == int(value)


@pytest.mark.parametrize(
    "value",
    [
        "0.0.0.0:80",
        "[::]:8080",
        "10.0.0.1:80",
        "8080",
        "127.0.0.1",
        "[::1]",
        "example.org:80",
        "localhost.evil:80",
    ],
)
def test_source_bind_must_be_loopback_with_a_port(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="SEALDROP_SOURCE_BIND"):
        load_config(data_env(tmp_path, SEALDROP_SOURCE_BIND=value))


@pytest.mark.parametrize(
    "value",
    [
        "127.0.0.1:8080",
        "127.0.0.2:80",
        "[::1]:8080",
        "localhost:8080",
        "unix:/run/sealdrop/source.sock",
    ],
)
def test_loopback_and_unix_binds_pass(tmp_path: Path, value: str) -> None:
    assert load_config(data_env(tmp_path, SEALDROP_SOURCE_BIND=value)).source.bind == value


def test_known_languages_pass(tmp_path: Path) -> None:
    config = load_config(data_env(tmp_path, SEALDROP_LANGUAGES="en,pt_BR,ar,zh_Hant"))
    assert config.languages == ("en", "pt_BR", "ar", "zh_Hant")


def test_unknown_variable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SEALDROP_MAX_UPLOAD is not a Sealdrop setting"):
        load_config(data_env(tmp_path, SEALDROP_MAX_UPLOAD="10"))


def test_unknown_toml_key_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('data_dir = "/x"\nsesion_minutes = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="SEALDROP_SESION_MINUTES"):
        load_config({"SEALDROP_CONFIG": str(toml)})


@pytest.mark.parametrize("env", [{}, {"SEALDROP_DATA_DIR": ""}, {"SEALDROP_KDF_N": "1024"}])
def test_missing_data_dir(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="SEALDROP_DATA_DIR is not set"):
        load_config(env)


def test_unreadable_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SEALDROP_CONFIG: cannot read"):
        load_config({"SEALDROP_CONFIG": str(tmp_path / "missing.toml")})


def test_invalid_toml(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text("data_dir = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"SEALDROP_CONFIG: .* is not valid TOML"):
        load_config({"SEALDROP_CONFIG": str(toml)})


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(data_env(tmp_path))
    with pytest.raises(AttributeError):
        config.max_upload_bytes = 1  # type: ignore[misc]
    assert isinstance(config, Config)


def test_each_app_reads_its_own_prefixed_settings(tmp_path: Path) -> None:
    config = load_config(
        data_env(
            tmp_path,
            SEALDROP_SOURCE_SESSION_MINUTES="30",
            SEALDROP_SOURCE_WORKERS="3",
            SEALDROP_SOURCE_HEADER_TIMEOUT_SECONDS="7",
            SEALDROP_MAX_MESSAGE_BYTES="2000",
        )
    )
    assert (config.source.session_minutes, config.source.workers) == (30, 3)
    assert config.source.serving.header_timeout_seconds == 7
    assert config.app("source") is config.source
    assert config.max_message_bytes == 2000, "a core setting stays in the core"


@pytest.mark.parametrize(
    "name", ["SEALDROP_SESSION_MINUTES", "SEALDROP_HEADER_TIMEOUT_SECONDS", "SEALDROP_SOURCE_NOPE"]
)
def test_an_app_setting_without_its_app_prefix_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match=f"{name} is not a Sealdrop setting"):
        load_config(data_env(tmp_path, **{name: "30"}))


def test_a_bad_app_setting_is_named_with_its_prefix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SEALDROP_SOURCE_BODY_TIMEOUT_SECONDS must be"):
        load_config(data_env(tmp_path, SEALDROP_SOURCE_BODY_TIMEOUT_SECONDS="soon"))
