"""What a question asks for: a value, an amount, a time, a person, a place, a total, the parts of a plan.

A question about a number, a time or a person is answered by a sentence that gives one, or not at
all: 「年間の授業料はいくら？」 is not answered by a sentence about fees. The words that ask are
general Japanese and English (assistant/data/asking.toml), not any plan's. A Japanese noun asks for
a value when JMdict glosses it with a noun that names one (家賃 → rent, 入学料 → 料 → fee), so the
same list of English value nouns serves both languages.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from index.dictionary import head_nouns

_DATA = tomllib.loads(resources.files("assistant").joinpath("data/asking.toml").read_text(encoding="utf-8"))
COUNTERS: str = "|".join(_DATA["counters"])
_VALUE_NOUNS = frozenset(_DATA["value_nouns"])
# 「何人？」 counts people: the counter asked for, longest first (何か国 before 何か); "how many students", in English.
_COUNTER_ASKED = re.compile("何(" + "|".join(sorted([*_DATA["counters"], "パーセント", "%", "％"], key=len, reverse=True)) + ")")
_COUNTED_EN = {noun: counter for counter, nouns in _DATA["counted_en"].items() for noun in nouns}
_HOW_MANY = re.compile(r"\bhow many\s+(?:[\w-]+\s+){0,4}?(" + "|".join(_COUNTED_EN) + r")\b", re.IGNORECASE)
_POSTS_JA = "|".join(_DATA["posts_ja"])
_POSTS_EN = "|".join(_DATA["posts_en"])


def _kind(name: str) -> re.Pattern[str]:
    """One kind's phrases as one pattern: Japanese as written, English as whole words."""
    ja = [p.replace("{counter}", COUNTERS) for p in _DATA[name]["ja"]]
    en = [rf"(?:{p})\b" if p.startswith("^") else rf"\b(?:{p})\b" for p in _DATA[name]["en"]]
    return re.compile("|".join(ja + en), re.IGNORECASE)


_VALUE, _AMOUNT, _COUNT, _TIME, _PLACE, _TOTAL, _OUTLINE, _OUTLINE_WORDS = (
    _kind(k) for k in ("value", "amount", "count", "time", "place", "total", "outline", "outline_words"))
# 「家賃は？」「倍率ってどのくらい？」: a noun, asked about bare or by how much (「…って何？」 asks what it is).
_NOUN_ASKED = re.compile(r"([一-龥々ァ-ヶー]+)(?:は|って)?\s*(?:どのくらい|どれくらい|どの程度|[?？]|$)")
# "What is the rent for …?", "What minimum score do … need?": a value noun is what is asked for
# ("the fee waiver policy" is not).
_VALUE_NOUN_EN = "|".join(sorted((f"{n[:-1]}(?:y|ies)" if n.endswith("y") and n[-2] not in "aeiou" else f"{n}s?"
                                   for n in _VALUE_NOUNS), key=len, reverse=True))
_WHAT_VALUE = re.compile(
    r"\bwhat(?!\s+(?:can|could|will|would|do|does|did|should|may|might|must)\b)(?:['’]s|\s+(?:is|are|was|were))?\s+"
    r"(?:[\w-]+\s+){0,5}?(?:" + _VALUE_NOUN_EN + r")"
    r"(?=\s*(?:[?.!,]|$|(?:for|of|at|in|per|on|to|charged|paid|needed|required|do|does|is|are|must|will)\b))",
    re.IGNORECASE,
)
_PERSON = re.compile(
    rf"(?:{_POSTS_JA})(?:って|は|が)誰|誰が(?:{_POSTS_JA})|(?:{_POSTS_JA})の(?:名前|氏名)|"
    rf"\bwho\s+(?:is|was|are|were|will be|has been)\s+(?:the\s+|its\s+|their\s+)?(?:[\w'-]+\s+){{0,3}}?(?:{_POSTS_EN})s?\b|"
    rf"\bname of (?:the |its |their )?(?:[\w'-]+\s+){{0,3}}?(?:{_POSTS_EN})\b|(?:{_POSTS_EN})['’]s name\b",
    re.IGNORECASE)


@dataclass(frozen=True)
class Asked:
    """What one question asks for."""

    value: bool = False  # a number with its unit
    amount: bool = False  # of the values, money, a share or an area rather than a count
    time: bool = False
    person: bool = False
    place: bool = False  # where, or which named places or institutions
    total: bool = False
    outline: bool = False  # a plan's or a section's parts, or how many
    counter: str = ""  # of a count or a share, the counter it asks in (何人 → 人, 何% → %)


def counter_forms(counter: str) -> tuple[str, ...]:
    """The ways a plan writes a number of what `counter` counts: 人 or 名, 割 or %."""
    return next((tuple(forms) for forms in _DATA["counter_forms"] if counter in forms), (counter,))


def without_outline_words(text: str) -> str:
    """`text` without the words that ask for a plan's parts: what is left names the section."""
    return _OUTLINE_WORDS.sub(" ", text)


def asks_total(text: str) -> bool:
    return bool(_TOTAL.search(text))


@lru_cache(maxsize=4096)
def asking(text: str) -> Asked:
    """What `text` asks for."""
    value = bool(_VALUE.search(text) or _WHAT_VALUE.search(text)
                 or any(_names_value(m.group(1)) for m in _NOUN_ASKED.finditer(text)))
    how_many = _HOW_MANY.search(text)  # "how many students": a number, not a plan's parts
    counter = (_COUNTER_ASKED.search(text) or how_many) if value else None
    return Asked(value=value, amount=value and bool(_AMOUNT.search(text)) and not _COUNT.search(text),
                 time=not value and bool(_TIME.search(text)), person=bool(_PERSON.search(text)),
                 place=not value and bool(_PLACE.search(text)),
                 total=asks_total(text), outline=bool(_OUTLINE.search(text)) and not how_many,
                 counter=_COUNTED_EN.get(counter.group(1).lower(), counter.group(1)) if counter else "")


def _names_value(noun: str) -> bool:
    """Whether a Japanese noun names a value: the longest ending of it that JMdict knows is glossed
    by a value noun (入学料 is not in JMdict; 料 is: fee)."""
    for start in range(len(noun)):
        heads = head_nouns(noun[start:])
        if heads:
            return any(h.rsplit("-", 1)[-1] in _VALUE_NOUNS for h in heads)
    return False
