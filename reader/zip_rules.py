"""What a zip from outside may do: how far its entries may inflate, and which entries are refused.

Shared by the zip that zipfile opens and the cut-short zip read from its local headers, so both
paths refuse exactly the same entries and stop a bomb at the same point.
"""

from __future__ import annotations

import stat
import zipfile

from reader.zip_walk import Limits

# OpenPGP ciphertexts do not compress: a real zip of them inflates about 1:1. Past this ratio an
# entry is a bomb, not a submission.
MAX_ZIP_RATIO = 20
ZIP_RATIO_SLACK = 1 << 20  # tiny entries may legitimately have odd ratios
MAX_ZIP_TOTAL = 64 << 30  # all entries of one zip together, inflated
MAX_ZIP_ENTRIES = 100_000
LIMITS = Limits(MAX_ZIP_RATIO, ZIP_RATIO_SLACK, MAX_ZIP_TOTAL, MAX_ZIP_ENTRIES)
BOMB = "it inflates far beyond its size (a zip bomb); refused"
OVER_BUDGET = "the zip inflates beyond the reader's limit; refused"


def inflate_ceiling(stored_bytes: int) -> int:
    """How many bytes an entry of `stored_bytes` may inflate to before it is a bomb."""
    return stored_bytes * MAX_ZIP_RATIO + ZIP_RATIO_SLACK


class ZipBudget:
    """What all entries of one zip may inflate to together."""

    def __init__(self) -> None:
        self.left = MAX_ZIP_TOTAL


def zip_entry_refusal(info: zipfile.ZipInfo) -> str | None:
    """Why an entry is refused before it is read (its path, a link, zip encryption), or None."""
    name = info.orig_filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path; refused"
    if ".." in parts or "\\" in name or "\x00" in name or name != info.filename:
        return "a path that would leave its folder (path traversal); refused"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link; links are never followed"
    if info.flag_bits & 0x1:
        return "encrypted by zip; the reader cannot open it"
    return None
