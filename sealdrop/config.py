"""Typed configuration, read once at the edge from environment variables and a TOML file."""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError

from sealdrop.errors import ConfigError

PREFIX = "SEALDROP_"
SECRETS_FILE = "secrets.toml"
MIN_KDF_N = 1024
# Multipart framing and the small fields of the submission form, on top of files and message.
FORM_OVERHEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class KdfCost:
    """scrypt cost; production keeps the defaults, tests lower them by config, never by patching."""

    n: int = 2**14
    r: int = 8
    p: int = 1


@dataclass(frozen=True)
class Secrets:
    """Instance secrets made by `sealdrop init`; kept in the data directory, mode 0600."""

    filesystem_id_salt: bytes
    reply_key_salt: bytes
    source_session_key: bytes
    kdf: KdfCost | None = None  # fixed at init: another cost would give every source a new id


@dataclass(frozen=True)
class Config:
    data_dir: Path
    database_url: str
    instance_name: str = "Sealdrop"
    kdf: KdfCost = field(default_factory=KdfCost)
    max_upload_bytes: int = 500_000_000
    max_message_bytes: int = 1_000_000
    min_free_bytes: int = 1_000_000_000
    session_minutes: int = 120
    session_max_hours: int = 8
    failed_logins_per_codename: int = 5
    failed_logins_global: int = 120
    throttle_window_seconds: int = 60
    source_bind: str = "127.0.0.1:8080"
    source_workers: int = 2
    source_onion: str | None = None
    languages: tuple[str, ...] = ("en", "fr")
    uploads_per_session: int = 2
    secrets: Secrets | None = None
    # --- Where gpg works. Every gpg operation runs in a throwaway GnuPG home made here and
    # removed after it; it must be a RAM file system (tmpfs), so no key file or trust database
    # ever reaches a disk. `sealdrop init` and start-up refuse any other location.
    gpg_scratch_dir: Path = Path("/dev/shm")  # noqa: S108 - a tmpfs, chosen for being RAM
    # --- How the server shields its request threads from slow or hostile clients. ---
    # Kept together at the end so settings added elsewhere do not collide with these.
    # Threads run the app; the event loop of each worker reads headers and small bodies for free.
    source_threads: int = 16
    # Uploads at once per worker (each holds a thread and a gpg); the site's cap is this x workers.
    source_uploads_per_worker: int = 6
    source_max_connections: int = 1000  # open connections per worker, idle or not
    header_timeout_seconds: int = 20  # the whole request head must arrive within this
    keepalive_timeout_seconds: int = 15  # an idle connection between requests is closed after this
    body_timeout_seconds: int = 30  # a small (non-upload) body must arrive whole within this
    max_form_bytes: int = 65_536  # body limit of every route but the upload route
    upload_min_bytes_per_second: int = 2_000  # averaged over the window below; far below Tor speed
    upload_rate_window_seconds: int = 30
    upload_idle_timeout_seconds: int = 30  # an upload that sends nothing for this long is cut
    busy_retry_after_seconds: int = 30  # Retry-After of the "too many uploads" page

    def __post_init__(self) -> None:
        # Pages must always find a free thread, however many uploads are streaming.
        if self.source_threads <= self.source_uploads_per_worker:
            raise ConfigError(
                f"{PREFIX}SOURCE_THREADS ({self.source_threads}) must be more than "
                f"{PREFIX}SOURCE_UPLOADS_PER_WORKER ({self.source_uploads_per_worker})"
            )

    @property
    def upload_body_bytes(self) -> int:
        """The most a submission's body may hold: files, message, and room for the form itself.

        The server's route limit, the source app's and the 413 check before the disk check all
        read this one number.
        """
        return self.max_upload_bytes + self.max_message_bytes + FORM_OVERHEAD_BYTES

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def legacy_gpg_home(self) -> Path:
        """The keyring kept before migration 0003; `sealdrop init` empties and removes it."""
        return self.data_dir / "gpg"

    @property
    def database_path(self) -> Path | None:
        """The SQLite file, when the database is one."""
        prefix = "sqlite:///"
        if not self.database_url.startswith(prefix) or self.database_url == prefix + ":memory:":
            return None
        return Path(self.database_url[len(prefix) :])

    @property
    def secrets_path(self) -> Path:
        return self.data_dir / SECRETS_FILE

    def require_secrets(self) -> Secrets:
        if self.secrets is None:
            raise ConfigError(f"{self.secrets_path} is missing: run `sealdrop init` first")
        return self.secrets


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
    if not value or any(ord(c) < 32 for c in value):
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
    if not loopback or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{what} must be 127.0.0.1:PORT, [::1]:PORT or unix:PATH")
    return value


_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "database_url": _text,
    "instance_name": _text,
    "max_upload_bytes": _positive_int,
    "max_message_bytes": _positive_int,
    "min_free_bytes": lambda n, raw: 0 if str(raw).strip() == "0" else _positive_int(n, raw),
    "session_minutes": _positive_int,
    "session_max_hours": _positive_int,
    "failed_logins_per_codename": _positive_int,
    "failed_logins_global": _positive_int,
    "throttle_window_seconds": _positive_int,
    "source_bind": _loopback_bind,
    "source_workers": _positive_int,
    "source_onion": _text,
    "languages": _languages,
    "uploads_per_session": _positive_int,
    "gpg_scratch_dir": lambda name, raw: Path(_text(name, raw)),
    "source_threads": _positive_int,
    "source_uploads_per_worker": _positive_int,
    "source_max_connections": _positive_int,
    "header_timeout_seconds": _positive_int,
    "keepalive_timeout_seconds": _positive_int,
    "body_timeout_seconds": _positive_int,
    "max_form_bytes": _positive_int,
    "upload_min_bytes_per_second": _positive_int,
    "upload_rate_window_seconds": _positive_int,
    "upload_idle_timeout_seconds": _positive_int,
    "busy_retry_after_seconds": _positive_int,
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

    unknown = sorted(set(values) - set(_FIELDS) - set(_KDF_FIELDS))
    if unknown:
        raise ConfigError(f"{PREFIX}{unknown[0].upper()} is not a Sealdrop setting (a typo?)")
    parsed = {name: parse(name, values[name]) for name, parse in _FIELDS.items() if name in values}
    parsed.setdefault("database_url", f"sqlite:///{data_dir / 'sealdrop.sqlite'}")
    secrets = _read_secrets(data_dir / SECRETS_FILE)
    return Config(data_dir=data_dir, kdf=_pinned_cost(values, secrets), secrets=secrets, **parsed)


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
