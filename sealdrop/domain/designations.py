"""Journalist designations: an adjective and a noun from the lists the project ships."""

from __future__ import annotations

import random
import re
import secrets
from functools import cache
from importlib import resources

DESIGNATION_PATTERN = re.compile(r"^[a-z'-]+ [a-z'-]+$")
# Designations are not secrets, but draws must not be predictable from earlier ones.
SYSTEM_RANDOM = secrets.SystemRandom()


@cache
def _words(name: str) -> tuple[str, ...]:
    text = resources.files("sealdrop").joinpath(f"data/{name}.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def adjectives() -> tuple[str, ...]:
    return _words("adjectives")


def nouns() -> tuple[str, ...]:
    return _words("nouns")


def combinations() -> int:
    return len(adjectives()) * len(nouns())


def draw(rng: random.Random = SYSTEM_RANDOM) -> str:
    """A random designation such as 'amber heron'; uniqueness is the caller's business."""
    return f"{rng.choice(adjectives())} {rng.choice(nouns())}"


def as_filename_part(designation: str) -> str:
    """'amber heron' -> 'amber-heron', the form used in stored file names."""
    return designation.replace(" ", "-")
