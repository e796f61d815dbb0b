#!/usr/bin/env python3
"""Build sealdrop/data/{adjectives,nouns}.txt, the journalist designation words, from WordNet 3.0.

WordNet comes from Debian's `wordnet-base` package (`apt-get install wordnet-base`, or
`apt-get download wordnet-base && dpkg-deb -x wordnet-base_*.deb root`, then pass
`--wordnet root/usr/share/wordnet`). Its licence is in sealdrop/data/WORDNET-LICENSE.

Kept: single lowercase words of 3 to 10 letters that are never only a name, from no sense
marked as slang, a slur, an obscenity, a trade name, archaic or the like, with no sense whose
gloss calls it offensive, and (for nouns) not about people, the body, feelings or medical
states. The most familiar come first: most often seen in WordNet's tagged texts, then most
senses, then shortest; the lists are cut so that adjective x noun gives about 146 million
designations, as many as SecureDrop offers. Run it again only to change the lists, and
commit the result.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

WORD = re.compile(r"[a-z]{3,10}")
ADJECTIVES, NOUNS = 7_500, 19_500  # 146,250,000 designations
# The usage domains WordNet marks: each of these synsets' names, as data.noun spells them.
BAD_USAGE = {
    "trade_name",
    "trademark",
    "slang",
    "archaism",
    "disparagement",
    "ethnic_slur",
    "obscenity",
    "euphemism",
    "combining_form",
    "acronym",
    "plural",
    "colloquialism",
}
BAD_GLOSS = re.compile(
    r"offensive|obscen|vulgar|derogat|disparag|slur|contempt|insult|sexual|genital|excret"
    r"|feces|faeces|urin|prostitut|racis|penis|vagina|buttock|anus|slang"
)
# noun.body, noun.feeling, noun.motive, noun.person, noun.state (lexicographer file numbers)
BAD_NOUN_FILES = {8, 12, 16, 18, 26}
# Words the rules above let through that no source should be called.
BLOCKED = frozenset(
    {
        "stupid",
        "dumb",
        "idiotic",
        "moronic",
        "ugly",
        "fat",
        "obese",
        "retarded",
        "crippled",
        "insane",
        "crazy",
        "lame",
        "nude",
        "naked",
        "sexy",
        "horny",
        "erotic",
        "drunk",
        "dead",
        "dying",
        "evil",
        "bloody",
        "damned",
        "filthy",
        "dirty",
        "kinky",
        "gay",
        "queer",
        "lesbian",
        "kill",
        "killer",
        "murder",
        "corpse",
        "suicide",
        "rape",
        "nazi",
        "bomb",
        "terror",
        "racist",
        "poison",
        "toxic",
        "sick",
        "sickly",
        "diseased",
        "cancer",
        "tumor",
        "tumour",
        "vomit",
        "puke",
        "poop",
        "shit",
        "crap",
        "piss",
        "fart",
        "turd",
        "bitch",
        "bastard",
        "slut",
        "whore",
        "pimp",
    }
)


Synsets = dict[str, tuple[int, list[str], list[tuple[str, str]], str]]


def _synsets(path: Path) -> Synsets:
    """offset -> (lexicographer file, words as written, (pointer, target) pairs, gloss)."""
    found: Synsets = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        head, _, gloss = line.partition("|")
        fields = head.split()
        count = int(fields[3], 16)
        words = [fields[4 + 2 * i] for i in range(count)]
        at = 4 + 2 * count
        pointers = [
            (fields[at + 1 + 4 * k], fields[at + 2 + 4 * k]) for k in range(int(fields[at]))
        ]
        found[fields[0]] = (int(fields[1]), words, pointers, gloss.lower())
    return found


def _index(path: Path) -> Iterator[tuple[str, int, int, list[str]]]:
    """(lemma, tagged sense count, sense count, synset offsets) for each lemma."""
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.startswith(" "):
            continue
        fields = line.split()
        at = 4 + int(fields[3])
        yield fields[0], int(fields[at + 1]), int(fields[at]), fields[at + 2 :]


def _acceptable(
    lemma: str, offsets: list[str], synsets: Synsets, bad_usage: set[str], bad_files: set[int]
) -> bool:
    if not WORD.fullmatch(lemma) or lemma in BLOCKED:
        return False
    senses = [synsets[offset] for offset in offsets]
    if not any(lemma in words for _, words, _, _ in senses):
        return False  # only ever written capitalised: a name
    return not any(
        lexfile in bad_files
        or BAD_GLOSS.search(gloss)
        or any(symbol in {";u", "-u"} and target in bad_usage for symbol, target in pointers)
        for lexfile, _, pointers, gloss in senses
    )


def build(
    wordnet: Path, pos: str, limit: int, bad_usage: set[str], bad_files: set[int]
) -> list[str]:
    synsets = _synsets(wordnet / f"data.{pos}")
    ranked = sorted(
        (-tagged, -senses, len(lemma), lemma)
        for lemma, tagged, senses, offsets in _index(wordnet / f"index.{pos}")
        if _acceptable(lemma, offsets, synsets, bad_usage, bad_files)
    )
    if len(ranked) < limit:
        raise SystemExit(f"only {len(ranked)} {pos} words pass the filters, {limit} wanted")
    return sorted(lemma for *_, lemma in ranked[:limit])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wordnet", type=Path, default=Path("/usr/share/wordnet"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent.parent / "sealdrop/data")
    args = parser.parse_args()
    nouns = _synsets(args.wordnet / "data.noun")
    bad_usage = {offset for offset, (_, words, _, _) in nouns.items() if words[0] in BAD_USAGE}
    for pos, name, limit, files in (
        ("adj", "adjectives", ADJECTIVES, set()),
        ("noun", "nouns", NOUNS, BAD_NOUN_FILES),
    ):
        words = build(args.wordnet, pos, limit, bad_usage, files)
        (args.out / f"{name}.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
        print(f"{name}: {len(words)}")
    print(f"designations: {ADJECTIVES * NOUNS:,}")


if __name__ == "__main__":
    main()
