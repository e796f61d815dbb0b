"""What an instance is configured with: the core's settings and each web app's, as frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from sealdrop.errors import ConfigError

PREFIX = "SEALDROP_"
SECRETS_FILE = "secrets.toml"
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
    # Its own, never the source app's; made by the first `sealdrop init` that knows of it.
    journalist_session_key: bytes | None = None


@dataclass(frozen=True)
class ServingLimits:
    """How a web app's server shields its request threads from slow or hostile clients.

    Per worker process. Threads run the app; each worker's event loop reads request heads and
    small bodies without one.
    """

    threads: int = 16
    # Uploads at once per worker (each holds a thread and a gpg); the app's cap is this x workers.
    uploads_per_worker: int = 6
    max_connections: int = 1000  # open connections per worker, idle or not
    header_timeout_seconds: int = 20  # the whole request head must arrive within this
    keepalive_timeout_seconds: int = 15  # an idle connection between requests is closed after this
    body_timeout_seconds: int = 30  # a small (non-upload) body must arrive whole within this
    max_form_bytes: int = 65_536  # body limit of every route but the upload routes
    upload_min_bytes_per_second: int = 2_000  # averaged over the window below; far below Tor speed
    upload_rate_window_seconds: int = 30
    upload_idle_timeout_seconds: int = 30  # an upload that sends nothing for this long is cut
    busy_retry_after_seconds: int = 30  # Retry-After of the "too many uploads" page


@dataclass(frozen=True)
class AppSettings:
    """What every web app is served with: where it listens, how many workers, its limits.

    Each app's settings are read from variables named `SEALDROP_<ENV_PREFIX><FIELD>`.
    """

    ENV_PREFIX: ClassVar[str] = ""

    bind: str = "127.0.0.1:8080"
    workers: int = 2
    serving: ServingLimits = field(default_factory=ServingLimits)

    def __post_init__(self) -> None:
        # Pages must always find a free thread, however many uploads are streaming.
        if self.serving.threads <= self.serving.uploads_per_worker:
            name = f"{PREFIX}{self.ENV_PREFIX}"
            raise ConfigError(
                f"{name}THREADS ({self.serving.threads}) must be more than "
                f"{name}UPLOADS_PER_WORKER ({self.serving.uploads_per_worker})"
            )


@dataclass(frozen=True)
class SourceSettings(AppSettings):
    """The source interface's own settings (SEALDROP_SOURCE_*)."""

    ENV_PREFIX: ClassVar[str] = "SOURCE_"

    onion: str | None = None  # when set, every request must name this host
    session_minutes: int = 120  # a session idle this long ends
    session_max_hours: int = 8  # and none outlives this
    uploads_per_session: int = 2
    failed_logins_per_codename: int = 5
    failed_logins_global: int = 120
    throttle_window_seconds: int = 60


def _journalist_serving() -> ServingLimits:
    # Client-side encrypted replies arrive as armored JSON and may be long.
    return ServingLimits(max_form_bytes=2_000_000)


@dataclass(frozen=True)
class JournalistSettings(AppSettings):
    """The journalist interface's own settings (SEALDROP_JOURNALIST_*)."""

    ENV_PREFIX: ClassVar[str] = "JOURNALIST_"

    bind: str = "127.0.0.1:8081"
    serving: ServingLimits = field(default_factory=_journalist_serving)
    onion: str | None = None  # when set, every request must name this host
    session_minutes: int = 120  # a session idle this long ends
    session_max_hours: int = 10  # and none outlives this
    token_hours: int = 8  # an API token expires after this
    failed_logins_per_account: int = 5
    failed_logins_global: int = 60
    throttle_window_seconds: int = 300
    # Argon2id cost of passphrase hashes; tests lower it, production keeps RFC 9106's choice.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65_536
    argon2_parallelism: int = 4


@dataclass(frozen=True)
class Config:
    """The core's settings, shared by every process of an instance, and each app's own."""

    data_dir: Path
    database_url: str
    instance_name: str = "Sealdrop"
    kdf: KdfCost = field(default_factory=KdfCost)
    max_upload_bytes: int = 500_000_000
    max_message_bytes: int = 1_000_000
    min_free_bytes: int = 1_000_000_000
    languages: tuple[str, ...] = ("en", "fr")
    secrets: Secrets | None = None
    # Every gpg operation runs in a throwaway GnuPG home made here and removed after it; it must
    # be a RAM file system (tmpfs), so no key file or trust database ever reaches a disk.
    # `sealdrop init` and start-up refuse any other location.
    gpg_scratch_dir: Path = Path("/dev/shm")  # noqa: S108 - a tmpfs, chosen for being RAM
    source: SourceSettings = field(default_factory=SourceSettings)
    journalist: JournalistSettings = field(default_factory=JournalistSettings)
    # Where the public halves of journalist device keys are written, one `.auth` file each, for
    # `sealdrop-onion client sync` (run as Tor's user) to apply; default `<data>/onion-clients`.
    onion_clients_dir: Path | None = None

    def app(self, name: str) -> AppSettings:
        """The settings of the web app `sealdrop serve` was asked for."""
        apps: dict[str, AppSettings] = {"source": self.source, "journalist": self.journalist}
        return apps[name]

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
    def device_spool(self) -> Path:
        return self.onion_clients_dir or self.data_dir / "onion-clients"

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
