"""A question as it is searched and answered: its language, the text each search looks for,
the plan terms it stands for and the plans it names. One step that retrieval and answering
both read (`assistant.retrieve`, `assistant.concepts`, `assistant.offline`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.analyze import detect_language, japanese_runs, normalize, without_asking_words
from index.glossary import Glossary
from index.thesaurus import Thesaurus


class QueryError(ValueError):
    """A question that cannot be searched; the message says why."""


@dataclass
class Query:
    """A question as searched: its language and the text given to each search."""

    text: str
    language: str  # "ja" | "en"
    keyword_text: str  # its own words as searched: a Japanese one's without asking words, an English one's with their Japanese
    vector_text: str
    added_terms: tuple[str, ...] = ()  # Japanese terms searched besides the question's own words
    named: frozenset[str] = frozenset()  # the plans whose institution it names (「東北大の…」, "YNU's …")

    @property
    def expansion(self) -> str:
        """The plan terms a Japanese question's words stand for (thesaurus): inferred, so they are
        searched at a lower weight. An English question's glossary terms are its translation."""
        return " ".join(self.added_terms) if self.language == "ja" else ""

    @property
    def searched_text(self) -> str:
        """Everything the keyword search looks for."""
        return f"{self.keyword_text} {self.expansion}".strip()


def prepare(text: str, glossary: Glossary, thesaurus: Thesaurus, max_chars: int,
            names: dict[str, tuple[str, ...]] | None = None) -> Query:
    """Validate the question and say what each search will look for: a Japanese question with
    the plan terms its everyday words stand for, an English one through the glossary; and which
    plans it names (`names`: each plan's names for its institution)."""
    text = (text or "").strip()
    if not text:
        raise QueryError("the question is empty")
    if len(text) > max_chars:
        raise QueryError(f"the question is {len(text)} characters long; the limit is {max_chars}")
    language = detect_language(text)
    named = named_plans(text, names or {})
    if language == "ja":
        added = thesaurus.plan_terms(text)
        # An embedding reads the question as asked; the keyword search, what it names.
        return Query(text, language, without_asking_words(text), " ".join((text, *added)), added, named)
    if language != "en":
        return Query(text, language, text, text)
    # The glossary's renderings of its English words, and the plans' terms it quotes as they are.
    japanese = tuple(dict.fromkeys((*(ja for m in glossary.to_japanese(text) for ja in m.ja_terms), *japanese_runs(text))))
    joined = " ".join(japanese)
    return Query(text, "en", f"{text} {joined}".strip(), joined or text, japanese, named)


def named_plans(text: str, names: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """The plans one of whose names occurs in `text` (NFKC, case folded; an English name only
    as a whole word, a two-character Japanese one where no kanji precedes it: 北大 not in 東北大)."""
    folded = normalize(text)
    return frozenset(plan for plan, plan_names in names.items() for name in plan_names
                     if re.search(_name_pattern(normalize(name)), folded))


def _name_pattern(name: str) -> str:
    if name.isascii():
        return rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])"
    return (r"(?<![\u4e00-\u9fff])" if len(name) <= 2 else "") + re.escape(name)
