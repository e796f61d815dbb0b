"""Untrusted file names from sources: a safe name to write a copy under (shown: reader.names)."""

from __future__ import annotations

import re
import unicodedata

# Names FAT, exFAT and NTFS refuse or treat as devices: export drives are often formatted for
# Windows, and a file named "CON.txt" or "a:b" would fail there, or worse, be read as a device.
_WINDOWS_FORBIDDEN = frozenset('<>:"/\\|?*')
_RESERVED_STEMS = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{n}" for n in "123456789¹²³"]
    + [f"LPT{n}" for n in "123456789¹²³"]
)
# An extension is kept only when it looks like one; anything else stays part of the stem.
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,12}\Z")
_MAX_NAME_BYTES = 200  # below every file system's 255, leaving room for " (123)"
_FALLBACK = "file"


def _is_invisible(char: str) -> bool:
    """Control, format (bidi overrides, zero-width), separator and unassigned characters."""
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _basename(name: str) -> str:
    """The last component, whatever separator the sender's system used."""
    return re.split(r"[/\\]", name)[-1]


def split_extension(name: str) -> tuple[str, str]:
    """The stem and the extension (with its dot, or empty when the name has none worth keeping)."""
    match = _EXTENSION.search(name)
    if match is None or match.start() == 0:
        return name, ""
    return name[: match.start()], match.group()


def _clip(stem: str, extension: str) -> str:
    """Cut the stem (never the extension) so the whole name fits in _MAX_NAME_BYTES of UTF-8."""
    budget = _MAX_NAME_BYTES - len(extension.encode())
    encoded = stem.encode()
    if len(encoded) > budget:
        stem = encoded[:budget].decode(errors="ignore").rstrip(" .")
    return stem + extension


def safe_name(untrusted: str) -> str:
    """A name that is safe to create in a folder and to type in a shell, derived from `untrusted`.

    Keeps the last path component only, drops control and bidirectional-override characters,
    replaces the characters Windows file systems refuse, strips leading dots and dashes (no hidden
    file, no option-like name) and trailing dots and spaces, renames device names such as
    "CON.txt", keeps a plausible extension and never returns an empty name.
    """
    name = unicodedata.normalize("NFC", _basename(untrusted))
    name = " ".join(name.split())  # tabs, newlines and runs of odd spaces become one space
    name = "".join(char for char in name if not _is_invisible(char))
    name = "".join("_" if char in _WINDOWS_FORBIDDEN else char for char in name)
    name = name.lstrip(" .-").rstrip(" .")
    stem, extension = split_extension(name)
    stem = stem.rstrip(" .")
    if stem.split(".")[0].upper() in _RESERVED_STEMS:
        stem = "_" + stem
    if not stem:
        stem = _FALLBACK
    return _clip(stem, extension)


def numbered(name: str, number: int) -> str:
    """The name a second, third... copy gets: "report (2).pdf"."""
    if number < 2:  # noqa: PLR2004 (the first copy keeps the name as it is)
        return name
    stem, extension = split_extension(name)
    return f"{stem} ({number}){extension}"
