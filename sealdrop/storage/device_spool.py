"""The spool of authorized device keys: one `<device uuid>.auth` file per journalist device.

Each file holds one line in Tor's `authorized_clients` format (`descriptor:x25519:<public>`),
never a private key. The app writes here; `sealdrop-onion client sync`, run as Tor's user, reads
the whole set and makes Tor match it. Files are group-readable (0640) so that user can read them
through the directory's group; writes are atomic, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sealdrop.errors import DeviceSpoolUnwritable

SUFFIX = ".auth"
DIR_MODE = 0o750
FILE_MODE = 0o640
_DEVICE_ID = re.compile(r"^[0-9a-f-]{36}$")


@dataclass(frozen=True)
class DeviceSpool:
    directory: Path

    def _path(self, device_id: str) -> Path:
        if not _DEVICE_ID.match(device_id):
            raise ValueError("a device id is a UUID")
        return self.directory / f"{device_id}{SUFFIX}"

    def ensure(self) -> None:
        """Make the directory (0750) if it is missing; an existing one keeps the owner, group
        and mode the operator gave it."""
        if not self.directory.is_dir():
            self.directory.mkdir(mode=DIR_MODE, parents=True)
            self.directory.chmod(DIR_MODE)

    def write(self, device_id: str, auth_line: str) -> None:
        path = self._path(device_id)
        try:
            self.ensure()
            temporary = path.with_name(f".{path.name}.tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                os.fchmod(fd, FILE_MODE)  # not left to the umask: the sync reads by group
                os.write(fd, (auth_line + "\n").encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            temporary.replace(path)
            self._sync_directory()
        except OSError as exc:
            raise DeviceSpoolUnwritable(self._message(exc)) from None

    def remove(self, device_id: str) -> None:
        try:
            self._path(device_id).unlink(missing_ok=True)
            if self.directory.is_dir():
                self._sync_directory()
        except OSError as exc:
            raise DeviceSpoolUnwritable(self._message(exc)) from None

    def device_ids(self) -> set[str]:
        """The devices whose key is in the spool now."""
        if not self.directory.is_dir():
            return set()
        return {
            path.name.removesuffix(SUFFIX)
            for path in self.directory.iterdir()
            if path.name.endswith(SUFFIX) and not path.name.startswith(".")
        }

    def _sync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _message(self, exc: OSError) -> str:
        return (
            f"The device key list in {self.directory} cannot be written ({exc.strerror}); "
            "nothing was changed."
        )
