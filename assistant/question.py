"""A question as it is searched and answered: its language, the text each search looks for,
the plan terms it stands for and the plans it names. One step that retrieval and answering
both read (`assistant.retrieve`, `assistant.concepts`, `assistant.offline`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.analyze import detect_language, japanese_runs, normalize, proper_nouns, terms, without_asking_words
from index.dictionary import abbreviated
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
    # Naming none, the plans whose kind it names (「このビジョン」, 「国際戦略の…」): in a Japanese question's
    # own words only, as an English one's glossary renderings are many candidates ("plan" → 目標 too).
    kinded: frozenset[str] = frozenset()

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
            names: dict[str, tuple[str, ...]] | None = None, kinds: dict[str, Kinds] | None = None) -> Query:
    """Validate the question and say what each search will look for: a Japanese question with
    the plan terms its everyday words stand for, an English one through the glossary; and which
    plans it names (`names`: each plan's names for its institution; `kinds`: each plan's kinds)."""
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
        keyword_text = without_asking_words(text)
        return Query(text, language, keyword_text, " ".join((text, *added)), added, named,
                     frozenset() if named else kinded_plans(keyword_text, kinds or {}))
    if language != "en":
        return Query(text, language, text, text)
    # The glossary's renderings of its English words, and the plans' terms it quotes as they are.
    japanese = tuple(dict.fromkeys((*(ja for m in glossary.to_japanese(text) for ja in m.ja_terms), *japanese_runs(text))))
    joined = " ".join(japanese)
    return Query(text, "en", f"{text} {joined}".strip(), joined or text, japanese, named)


UNIVERSITY = re.compile(r"大学?$")  # 京都大学, 京大: a proper noun ending so names a university


def named_plans(text: str, names: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """The plans one of whose names occurs in `text` (NFKC, case folded; an English name only
    as a whole word, a two-character Japanese one where no kanji precedes it: 北大 not in 東北大),
    or that a university's short name in it stands for (`shortened`)."""
    folded = normalize(text)
    named = {plan for plan, plan_names in names.items() for name in plan_names
             if re.search(_name_pattern(normalize(name)), folded)}
    if "大" in text:  # a short name ends so
        named |= {plan for name in proper_nouns(text) if UNIVERSITY.search(name) for plan in shortened(name, names)}
    return frozenset(named)


def shortened(name: str, names: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """The plans a university's short name stands for when their names do not give it: the one
    JMnedict says it abbreviates (阪大: Osaka University; 東大 is Tokyo University, not 東北大学),
    else one whose Japanese name keeps its first character and the others in order (お茶大:
    お茶の水女子大学)."""
    stem = UNIVERSITY.sub("", name)
    if not stem or name.isascii():
        return frozenset()
    if meant := {normalize(m) for m in abbreviated(name)}:
        return frozenset(plan for plan, plan_names in names.items() if meant & {normalize(n) for n in plan_names})
    return frozenset(plan for plan, plan_names in names.items()
                     if any(n.endswith("大学") and n[0] == stem[0] and _in_order(stem, n[:-2]) for n in plan_names))


def _in_order(short: str, full: str) -> bool:
    """Whether every character of `short` occurs in `full`, in order."""
    rest = iter(full)
    return all(ch in rest for ch in short)


Kinds = tuple[tuple[str, ...], ...]
_TITLE_RUN = re.compile(r"[A-Za-z\u30a1-\u30ff\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def plan_kinds(title: str, names: tuple[str, ...]) -> Kinds:
    """What kind of plan a title says it is: its compound nouns once the institution's names
    are taken out, each as its terms (「九州大学国際戦略」 → (国際, 戦略); 「神戸大学将来構想
    ―神戸大学ビジョン2030―」 → (将来, 構想), (ビジョン)). Hiragana, digits and punctuation part them."""
    for name in sorted(names, key=len, reverse=True):
        title = title.replace(name, " ")
    return tuple(run for run in (tuple(terms(piece)) for piece in _TITLE_RUN.findall(title)) if run)


def kinded_plans(text: str, kinds: dict[str, Kinds]) -> frozenset[str]:
    """The plans a question refers to by their kind, as 「このビジョン」 or 「国際化の戦略」 do:
    it holds a kind's head (its last term) and, of a compound kind, one more of its terms, so
    that 計画 alone does not name every 中期計画."""
    said = set(terms(text))
    return frozenset(plan for plan, runs in kinds.items() for run in runs
                     if run[-1] in said and (len(run) == 1 or said & set(run[:-1])))


def _name_pattern(name: str) -> str:
    if name.isascii():
        return rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])"
    return (r"(?<![\u4e00-\u9fff])" if len(name) <= 2 else "") + re.escape(name)
