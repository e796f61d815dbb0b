"""Reading the configuration once at the edge: SEALDROP_* variables over an optional TOML file."""

from __future__ import annotations

import dataclasses
import ipaddress
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from babel import Locale, UnknownLocaleError

from sealdrop.config.settings import (
    PREFIX,
    SECRETS_FILE,
    AppSettings,
    Config,
    JournalistSettings,
    KdfCost,
    Secrets,
    ServingLimits,
    SourceSettings,
)
from sealdrop.errors import ConfigError

MIN_KDF_N = 1024
MAX_PORT = 65535
AppT = TypeVar("AppT", bound=AppSettings)


def _positive_int(name: str, raw: Any) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{PREFIX}{name.upper()} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{PREFIX}{name.upper()} must be greater than zero, not {value}")
    return value


def _text(name: str, raw: Any) -> str:
    value = str(raw).strip()
    if not value or any(not c.isprintable() for c in value):
        raise ConfigError(f"{PREFIX}{name.upper()} must be non-empty printable text")
    return value


def _languages(name: str, raw: Any) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else str(raw).split(",")
    codes = tuple(str(code).strip() for code in items if str(code).strip())
    if not codes or not all(code.replace("_", "").isalpha() for code in codes):
        raise ConfigError(f"{PREFIX}{name.upper()} must be a comma-separated list like 'en,fr'")
    for code in codes:
        try:
            Locale.parse(code)
        except (ValueError, UnknownLocaleError):
            raise ConfigError(f"{PREFIX}{name.upper()}: {code!r} is not a known language") from None
    return codes


def _loopback_bind(name: str, raw: Any) -> str:
    return require_loopback(_text(name, raw), what=f"{PREFIX}{name.upper()}")


def require_loopback(value: str, *, what: str) -> str:
    """Invariant 6: the web apps listen on loopback or a unix socket, never a public address."""
    if value.startswith("unix:"):
        return value
    host, _, port = value.rpartition(":")
    host = host.strip("[]")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback or not port.isdigit() or not 0 < int(port) <= MAX_PORT:
        raise ConfigError(f"{what} must be 127.0.0.1:PORT, [::1]:PORT or unix:PATH")
    return value


Parser = Callable[[str, Any], Any]

_CORE_FIELDS: dict[str, Parser] = {
    "database_url": _text,
    "instance_name": _text,
    "max_upload_bytes": _positive_int,
    "max_message_bytes": _positive_int,
    "min_free_bytes": lambda n, raw: 0 if str(raw).strip() == "0" else _positive_int(n, raw),
    "languages": _languages,
    "gpg_scratch_dir": lambda name, raw: Path(_text(name, raw)),
    "onion_clients_dir": lambda name, raw: Path(_text(name, raw)).expanduser().absolute(),
}
# Every web app has these; each app class adds its own below.
_APP_FIELDS: dict[str, Parser] = {"bind": _loopback_bind, "workers": _positive_int}
_SERVING_FIELDS: dict[str, Parser] = {
    item.name: _positive_int for item in dataclasses.fields(ServingLimits)
}
_SOURCE_FIELDS: dict[str, Parser] = {
    "onion": _text,
    "session_minutes": _positive_int,
    "session_max_hours": _positive_int,
    "uploads_per_session": _positive_int,
    "failed_logins_per_codename": _positive_int,
    "failed_logins_global": _positive_int,
    "throttle_window_seconds": _positive_int,
}
_JOURNALIST_FIELDS: dict[str, Parser] = {
    "onion": _text,
    "session_minutes": _positive_int,
    "session_max_hours": _positive_int,
    "token_hours": _positive_int,
    "failed_logins_per_account": _positive_int,
    "failed_logins_global": _positive_int,
    "throttle_window_seconds": _positive_int,
    "argon2_time_cost": _positive_int,
    "argon2_memory_kib": _positive_int,
    "argon2_parallelism": _positive_int,
}
_KDF_FIELDS = ("kdf_n", "kdf_r", "kdf_p")


def _read_toml(path: Path, variable: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{variable}: cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{variable}: {path} is not valid TOML: {exc}") from None


def _salt_key(raw: Mapping[str, Any]) -> str:
    # Data directories made before the rename call it source_id_salt.
    return "filesystem_id_salt" if "filesystem_id_salt" in raw else "source_id_salt"


def _read_secrets(path: Path) -> Secrets | None:
    if not path.exists():
        return None
    raw = _read_toml(path, "secrets file")
    try:
        pinned = raw.get("kdf")
        return Secrets(
            filesystem_id_salt=bytes.fromhex(raw[_salt_key(raw)]),
            reply_key_salt=bytes.fromhex(raw["reply_key_salt"]),
            source_session_key=bytes.fromhex(raw["source_session_key"]),
            kdf=None if pinned is None else _kdf_cost({f"kdf_{k}": pinned[k] for k in "nrp"}),
            journalist_session_key=(
                bytes.fromhex(raw["journalist_session_key"])
                if "journalist_session_key" in raw
                else None
            ),
        )
    except (KeyError, TypeError, ValueError):
        raise ConfigError(
            f"{path} is damaged: run `sealdrop init` on a new data directory"
        ) from None


def _kdf_cost(values: Mapping[str, Any]) -> KdfCost:
    n, r, p = (values.get(key) for key in _KDF_FIELDS)
    cost = KdfCost(
        n=_positive_int("kdf_n", n) if n is not None else KdfCost.n,
        r=_positive_int("kdf_r", r) if r is not None else KdfCost.r,
        p=_positive_int("kdf_p", p) if p is not None else KdfCost.p,
    )
    if cost.n < MIN_KDF_N or cost.n & (cost.n - 1):
        raise ConfigError(
            f"{PREFIX}KDF_N must be a power of two of at least {MIN_KDF_N}, not {cost.n}"
        )
    return cost


def _app_settings(cls: type[AppT], own: Mapping[str, Parser], values: dict[str, Any]) -> AppT:
    """Take the variables named with the app's prefix out of `values` and build its settings."""
    prefix = cls.ENV_PREFIX.lower()
    fields, serving = {}, {}
    for key in [key for key in values if key.startswith(prefix)]:
        name = key[len(prefix) :]
        if name in _SERVING_FIELDS:
            serving[name] = _SERVING_FIELDS[name](key, values.pop(key))
        elif name in own or name in _APP_FIELDS:
            fields[name] = {**_APP_FIELDS, **own}[name](key, values.pop(key))
    defaults = cls()
    return dataclasses.replace(
        defaults, serving=dataclasses.replace(defaults.serving, **serving), **fields
    )


def load_config(env: Mapping[str, str]) -> Config:
    """Build the configuration from `env` (SEALDROP_* variables) and the TOML file it may name.

    Environment variables win over the file. Raises ConfigError naming the first bad variable.
    """
    values: dict[str, Any] = {}
    toml_path = env.get(PREFIX + "CONFIG")
    if toml_path:
        values.update(
            {k.lower(): v for k, v in _read_toml(Path(toml_path), "SEALDROP_CONFIG").items()}
        )
    values.update({k[len(PREFIX) :].lower(): v for k, v in env.items() if k.startswith(PREFIX)})
    values.pop("config", None)

    data_dir_raw = values.pop("data_dir", None)
    if not data_dir_raw:
        raise ConfigError(f"{PREFIX}DATA_DIR is not set: name the directory that holds the data")
    data_dir = Path(str(data_dir_raw)).expanduser().absolute()

    source = _app_settings(SourceSettings, _SOURCE_FIELDS, values)
    journalist = _app_settings(JournalistSettings, _JOURNALIST_FIELDS, values)
    unknown = sorted(set(values) - set(_CORE_FIELDS) - set(_KDF_FIELDS))
    if unknown:
        raise ConfigError(f"{PREFIX}{unknown[0].upper()} is not a Sealdrop setting (a typo?)")
    parsed = {
        name: parse(name, values[name]) for name, parse in _CORE_FIELDS.items() if name in values
    }
    parsed.setdefault("database_url", f"sqlite:///{data_dir / 'sealdrop.sqlite'}")
    secrets = _read_secrets(data_dir / SECRETS_FILE)
    return Config(
        data_dir=data_dir,
        kdf=_pinned_cost(values, secrets),
        secrets=secrets,
        source=source,
        journalist=journalist,
        **parsed,
    )


def _pinned_cost(values: Mapping[str, Any], secrets: Secrets | None) -> KdfCost:
    """The cost `sealdrop init` recorded wins; asking for another one is a mistake, said clearly."""
    asked = _kdf_cost(values)
    if secrets is None or secrets.kdf is None:
        return asked
    if any(key in values for key in _KDF_FIELDS) and asked != secrets.kdf:
        raise ConfigError(
            f"{PREFIX}KDF_N/_R/_P differ from the cost fixed at init ({secrets.kdf}); changing it "
            "would lock every source out"
        )
    return secrets.kdf
