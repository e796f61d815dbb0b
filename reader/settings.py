"""Where the reader keeps its key and vault: read once from options and the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sealdrop.errors import ConfigError

HOME_ENV = "SEALDROP_READER_HOME"
VAULT_ENV = "SEALDROP_READER_VAULT"


@dataclass(frozen=True)
class ReaderPaths:
    """The reader's home (0700): its GnuPG home and, unless set apart, its vault."""

    home: Path
    gnupg: Path
    vault: Path


def default_home(env: Mapping[str, str]) -> Path:
    """$XDG_DATA_HOME/sealdrop-reader, else ~/.local/share/sealdrop-reader."""
    data = env.get("XDG_DATA_HOME")
    if data:
        return Path(data) / "sealdrop-reader"
    user_home = env.get("HOME")
    if not user_home:
        raise ConfigError(f"HOME is not set: give --home or {HOME_ENV}")
    return Path(user_home) / ".local" / "share" / "sealdrop-reader"


def resolve_paths(
    env: Mapping[str, str], *, home: str | None = None, vault: str | None = None
) -> ReaderPaths:
    """Options first, then SEALDROP_READER_HOME / SEALDROP_READER_VAULT, then the default."""
    chosen = home or env.get(HOME_ENV)
    root = Path(chosen).expanduser() if chosen else default_home(env)
    chosen_vault = vault or env.get(VAULT_ENV)
    vault_dir = Path(chosen_vault).expanduser() if chosen_vault else root / "vault"
    for name, path in ((HOME_ENV, root.absolute()), (VAULT_ENV, vault_dir.absolute())):
        if path.exists() and not path.is_dir():
            raise ConfigError(f"{name}: {path} exists and is not a directory")
    return ReaderPaths(root.absolute(), root.absolute() / "gnupg", vault_dir.absolute())


def make_private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path
