"""Names from outside (sources' file names, zip entries, item names): parsed strictly, shown safely.

A source chooses its file's name, and anyone can make a zip: such a name is never used as a
path, and is shown only through `shown()`, which makes every control, format and separator
character visible instead of letting it act (a right-to-left override can make `gpj.exe`
read as `exe.jpg`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sealdrop.domain.designations import DESIGNATION_PATTERN, as_filename_part
from sealdrop.domain.items import Kind

SHOWN_MAX = 200
_ITEM_NAME = re.compile(r"^([1-9][0-9]{0,8})-([a-z'-]+)-(msg|doc\.gz|reply)\.gpg$")
_KINDS = {"msg": Kind.MESSAGE, "doc.gz": Kind.FILE, "reply": Kind.REPLY}
_BYTE_ESCAPE_BELOW = 0x100
_TWO_WORDS = 2
_SEPARATORS = {"/": "\u2215", "\\": "\u29f5"}  # look-alike slashes that cannot act as one


def shown(name: str, *, limit: int = SHOWN_MAX) -> str:
    """`name` safe to print on one line: controls, bidi and format characters, and path
    separators become visible escapes; long names are cut with an ellipsis."""
    out = []
    for char in name:
        if char in _SEPARATORS:
            out.append(_SEPARATORS[char])
        elif unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < _BYTE_ESCAPE_BELOW else f"\\u{code:04x}")
        else:
            out.append(char)
    text = "".join(out)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_path(path: str) -> str:
    """A relative path from a zip or folder, each part escaped, joined by a real '/'."""
    return "/".join(shown(part, limit=SHOWN_MAX) for part in path.replace("\\", "/").split("/"))


@dataclass(frozen=True)
class ItemName:
    """What a SecureDrop-style item name says: '3-amber-heron-doc.gz.gpg'."""

    number: int
    hyphenated: str
    kind: Kind


def parse_item_name(name: str) -> ItemName | None:
    match = _ITEM_NAME.match(name)
    if match is None:
        return None
    return ItemName(int(match.group(1)), match.group(2), _KINDS[match.group(3)])


def designation_for(item: ItemName, folders: list[str]) -> str | None:
    """The designation with its space: from the nearest folder whose hyphenated form matches
    (SecureDrop and Sealdrop both put items under a folder named by the designation), else
    from the file name when it has exactly two words; None when it cannot be told."""
    for folder in reversed(folders):
        if DESIGNATION_PATTERN.match(folder) and as_filename_part(folder) == item.hyphenated:
            return folder
    words = item.hyphenated.split("-")
    if len(words) == _TWO_WORDS and all(words):
        return " ".join(words)
    return None


def folder_name(designation: str) -> str:
    """'amber heron' -> 'amber-heron': a safe directory name for a source in the vault."""
    return as_filename_part(designation).replace("'", "")[:100] or "source"
