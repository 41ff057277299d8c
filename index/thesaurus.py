"""Thesaurus: the words users say for the plans' own terms, in Japanese and English.

New staff write 「キャリア相談」 where the plan writes 「進路指導」, and researchers write "tenure
track" where it writes 「任期制」; keyword search misses both, and no model is available offline
to bridge them. ``index/data/thesaurus.tsv`` (columns ``term``, ``ja``, ``en``) lists, for a
term found verbatim in a plan, the everyday Japanese words (``ja``) and the English words
(``en``) a user may use instead, each column separated by `` | ``: the plans' compound terms
and their most frequent words (教員: 先生; 資金: お金; 削減: 減らす). A Japanese variant is a
word the plans do not use themselves (that one is searched as it is). It was written from the
plan texts alone, blind to the evaluation questions, so the evaluation measures what it adds.

* :meth:`Thesaurus.plan_terms` finds the Japanese variants in a question (leftmost longest, no
  overlaps, NFKC-folded; as written or inflected) and gives the plan terms they stand for, to
  be searched with it.
* :meth:`Thesaurus.extend` adds the English variants to the bilingual glossary as renderings
  of the term, so an English question reaches it as any glossary phrase does.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.analyze import normalized_words
from index.glossary import EN_SEPARATOR, Entry, Glossary, load_data_file, phrase_key

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "thesaurus.tsv"
HEADER = ("term", "ja", "en")
MIN_VARIANT_CHARS = 2  # found as written from this length; a one-character variant (寮) only as a whole word


class ThesaurusError(ValueError):
    """The thesaurus file is malformed; the message names the file and the line."""


@dataclass(frozen=True)
class Thesaurus:
    ja: dict[str, tuple[str, ...]]  # a user's Japanese word (NFKC) → the plan terms it stands for
    en: dict[str, tuple[str, ...]]  # a plan term → English words for it

    def __post_init__(self) -> None:
        self._longest  # noqa: B018  the variant indexes are built with the thesaurus, not on its first question

    def plan_terms(self, question: str) -> tuple[str, ...]:
        """Plan terms named by other words in ``question`` (in each of two passes, leftmost
        longest variant first, no overlaps); terms it already uses are left out.

        Japanese variants are found as written, and every variant as a sequence of normalized
        words: an inflected question finds them too (「授業に来なくなった」 finds 「授業に来ない」),
        and a Latin one only as a whole word (AP, not the AP in JAPAN)."""
        text = unicodedata.normalize("NFKC", question)
        found = {**_leftmost_longest(text, self._written, range(self._longest[0], MIN_VARIANT_CHARS - 1, -1)),
                 **_leftmost_longest(tuple(normalized_words(text)), self._sequences, range(self._longest[1], 0, -1))}
        return tuple(t for t in found if t not in text)

    @functools.cached_property
    def _written(self) -> dict[str, tuple[str, ...]]:
        """The variants found as written: those with Japanese in them."""
        return {v: terms for v, terms in self.ja.items() if not v.isascii()}

    @functools.cached_property
    def _sequences(self) -> dict[tuple[str, ...], tuple[str, ...]]:
        """Each variant's normalized words → the plan terms it stands for."""
        out: dict[tuple[str, ...], list[str]] = {}
        for variant, plan in self.ja.items():
            key = tuple(normalized_words(variant))
            if key:
                known = out.setdefault(key, [])
                known += [t for t in plan if t not in known]
        return {k: tuple(v) for k, v in out.items()}

    @functools.cached_property
    def _longest(self) -> tuple[int, int]:
        """The longest variant found as written, in characters, and in normalized words."""
        return max(map(len, self._written), default=0), max(map(len, self._sequences), default=0)

    def extend(self, glossary: Glossary) -> Glossary:
        """The glossary with the English variants added as renderings of their terms (a term
        the glossary lacks becomes an entry, its first variant the gloss)."""
        entries = {e.ja: e for e in glossary}
        for term, english in self.en.items():
            entry = entries.get(term)
            if entry is None:
                entries[term] = Entry(term, english, "general")
            else:
                extra = tuple(e for e in english if e not in entry.en)
                entries[term] = Entry(term, entry.en + extra, entry.kind)
        return Glossary(list(entries.values()))


def _variants(column: str, where: str, english: bool) -> tuple[str, ...]:
    out: list[str] = []
    for part in column.split(EN_SEPARATOR):
        part = part.strip() if english else unicodedata.normalize("NFKC", part.strip())
        if not part:
            continue
        if english and not phrase_key(part):
            raise ThesaurusError(f"{where}: English variant {part!r} has no words")
        if part not in out:
            out.append(part)
    return tuple(out)


def parse_thesaurus(text: str, source: str = "<thesaurus>") -> Thesaurus:
    """Parse thesaurus TSV text; raise :class:`ThesaurusError` naming the first bad line."""
    lines = text.splitlines()
    if not lines or tuple(c.strip() for c in lines[0].lstrip("\ufeff").split("\t")) != HEADER:
        raise ThesaurusError(f"{source}:1: expected the header 'term<TAB>ja<TAB>en'")
    ja: dict[str, list[str]] = {}
    en: dict[str, list[str]] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        columns = line.split("\t")
        if len(columns) != 3:
            raise ThesaurusError(f"{where}: expected 3 tab-separated columns (term, ja, en), found {len(columns)}")
        term = columns[0].strip()
        if not term:
            raise ThesaurusError(f"{where}: empty term")
        for variant in _variants(columns[1], where, english=False):
            if variant != term and term not in ja.setdefault(variant, []):
                ja[variant].append(term)
        english = en.setdefault(term, [])
        english += [v for v in _variants(columns[2], where, english=True) if v not in english]
    return Thesaurus({v: tuple(t) for v, t in ja.items()}, {t: tuple(e) for t, e in en.items() if e})


def load_thesaurus(path: Path | str | None = None) -> Thesaurus:
    """Load (and cache) a thesaurus; by default the one packaged with ``index``."""
    return load_data_file(Path(path) if path is not None else DEFAULT_PATH, parse_thesaurus, ThesaurusError, "thesaurus")


def _leftmost_longest(sequence: Sequence[str] | str, table: Mapping[Any, tuple[str, ...]], lengths: range) -> dict[str, None]:
    """The values of the keys of `table` found in `sequence`, leftmost longest first (of `lengths`,
    longest first), no overlaps."""
    found: dict[str, None] = {}
    i = 0
    while i < len(sequence):
        for n in lengths:
            values = table.get(sequence[i : i + n]) if i + n <= len(sequence) else None
            if values:
                found.update(dict.fromkeys(values))
                i += n
                break
        else:
            i += 1
    return found
