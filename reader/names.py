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
_BMP_ESCAPE_BELOW = 0x10000
_TWO_WORDS = 2
# Look-alike slashes that cannot act as one. The backslash is one of them, so a backslash shown
# always starts an escape this function made: a name cannot fake "\u202e" by spelling it out.
_SEPARATORS = {"/": "\u2215", "\\": "\u29f5"}
# Controls, format characters (bidi overrides, zero-width joiners and spaces, tags), surrogates,
# private use, unassigned, line and paragraph separators.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _escape(char: str) -> str:
    code = ord(char)
    if code < _BYTE_ESCAPE_BELOW:
        return f"\\x{code:02x}"
    if code < _BMP_ESCAPE_BELOW:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def shown(name: str, *, limit: int = SHOWN_MAX, empty: str = '""') -> str:
    """`name` safe to print on one line, exactly as it was sent but unable to act.

    Control, bidirectional, zero-width and other format characters, odd spaces (anything not
    printable but the plain space) become escapes (`\\x0a`, `\\u202e`, `\\U000e0041`); path
    separators become look-alikes (`∕`, `⧵`); a long name is cut with an ellipsis to `limit`
    characters; an empty one is shown as `empty` (`""`, so it is seen to be empty).
    """
    if not name:
        return empty
    out = []
    for char in name:
        if char in _SEPARATORS:
            out.append(_SEPARATORS[char])
        elif unicodedata.category(char) in _ESCAPED_CATEGORIES or not (
            char == " " or char.isprintable()
        ):
            out.append(_escape(char))
        else:
            out.append(char)
    text = "".join(out)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_lines(text: str) -> list[str]:
    """A message's text, a line at a time, each shown safely (blank lines stay blank)."""
    return [shown(line, limit=100_000, empty="") for line in text.splitlines()] or [""]


def shown_path(path: str) -> str:
    """A path from a zip, a folder or the command line, each part escaped, joined by a real '/'."""
    parts = path.replace("\\", "/").split("/")
    return "/".join(shown(part, limit=SHOWN_MAX, empty="") for part in parts)


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
