"""Follow-up questions made standalone, so search sees what the user means.

The API is stateless: the caller sends the earlier turns. 「その中で住居に関するものは？」 or
"Which fields specifically?" means nothing to a search on its own; offline, a follow-up is
searched together with the key terms of the question it follows (an LLM rewrite replaces
this when a chat model is configured).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from index.analyze import detect_language, terms

_POINTING_JA = r"その|それ|これ|この|あの|そこ|そちら"  # words pointing back to what was said
_FOLLOW_UP_JA = re.compile(rf"^({_POINTING_JA}|上記|うち|中で|では|じゃあ|また|他に|ほかに|さらに|具体的に)|"
                           r"その中|そのうち|それら|それぞれ|具体的には|の(?:ほう|方)(?:は|って|だと|では)")  # 「教員養成のほうは？」
_FOLLOW_UP_EN = re.compile(r"^(?:and|or|but|also)\b|"  # "And in FY2009?"
                           r"\b(it|its|they|them|their|those|these|that|this|which ones?|specifically|"
                           r"what about|how about|among them|of them|the same)\b", re.IGNORECASE)
# A follow-up that only names another thing asks the earlier question again of it: "And in
# FY2009?" after the engineering faculty's enrolment in FY2004, 「教員養成のほうは？」, 「支出は？」
# (not one that asks something new of the same thing: 「その理由は？」, "And why?").
_ASKS_AGAIN = re.compile(r"^(?:and|or|what about|how about)\b(?!.*\b(?:what|which|who|when|where|why|how)\b)|"
                         rf"^(?!{_POINTING_JA})[^?？。、]{{1,20}}?(?:の(?:ほう|方))?(?:は|って)\s*[?？]?\s*$",
                         re.IGNORECASE)
MIN_OWN_TERMS = 3  # a question with fewer content words of its own leans on the conversation
# 「2つ目は？」「最後のは？」 "The second one?": a short question pointing at one item of the list just given.
_KANJI_DIGITS = "一二三四五六七八九十"
_ORDINAL_JA = re.compile(rf"^(?:では|じゃあ|それで)?[、,\s]*(最初|最後|(?:[{_KANJI_DIGITS}]|[0-9０-９]{{1,2}})(?=\s*(?:つ|番|個|項|点)?目))\s*(?:つ|番|個|項|点)?目?"
                         r"(?:の(?:もの|項目|やつ|こと|方|ほう))?(?:は|って|を|について)?.{0,12}$")
_ENGLISH_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_ORDINAL_EN = re.compile(r"^(?:(?:and|so|ok|okay|what about|how about|tell me (?:more )?about)\s+)?(?:the\s+)?"
                         rf"({'|'.join(_ENGLISH_ORDINALS)}|last|\d{{1,2}}(?:st|nd|rd|th)|number \d{{1,2}}|no\.? ?\d{{1,2}})\b"
                         r"(?:\s+(?:one|item|part|section|point|of them))?\s*[?.!]*$", re.IGNORECASE)
_LISTED = re.compile(r"\s*\[\d{1,3}\](?:[、;,。.]\s*|\s*$)")


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation."""

    role: str  # "user" | "assistant"
    content: str


def is_follow_up(question: str) -> bool:
    """Whether the question refers back to the conversation rather than standing alone."""
    pattern = _FOLLOW_UP_JA if detect_language(question) == "ja" else _FOLLOW_UP_EN
    own = {t for t in terms(question) if not t.isdigit()}  # a number alone does not make a question stand alone (平成21年度は？)
    return bool(pattern.search(question)) or len(own) < MIN_OWN_TERMS


def asks_again(question: str) -> bool:
    """Whether a follow-up asks the earlier question again, of another thing it names."""
    return bool(_ASKS_AGAIN.search(question.strip()))


def ordinal(question: str) -> int | None:
    """Which item a follow-up such as 「2つ目は？」 or "the second one?" points at: 1-based, -1 for
    the last; None when it points at none."""
    q = question.strip()
    m = _ORDINAL_JA.match(q) if detect_language(q) == "ja" else _ORDINAL_EN.match(q)
    if not m:
        return None
    word = m.group(1).lower()
    if word in ("最初", "first"):
        return 1
    if word in ("最後", "last"):
        return -1
    if word in _ENGLISH_ORDINALS:
        return _ENGLISH_ORDINALS.index(word) + 1
    if len(word) == 1 and word in _KANJI_DIGITS:
        return _KANJI_DIGITS.index(word) + 1
    return int(re.sub(r"\D", "", unicodedata.normalize("NFKC", word)))


def listed(answer: str) -> list[str]:
    """The items an answer lists: those of its first line, each before its marker (「…からなります：
    A [1]、B [2]。」), or else its lines beginning ・."""
    first = next((ln for ln in answer.splitlines() if ln.strip()), "")
    marker = re.search(r"\[\d{1,3}\]", first)
    before = first[: marker.start()] if marker else first
    # the list begins after the last colon before its first marker: a title may hold one (「…アクション：プロセス」)
    body = first[max(before.rfind("："), before.rfind(": ")) + 1:]
    items = [i.strip() for i in _LISTED.split(body) if i.strip()]
    if len(items) >= 2 and len(re.findall(r"\[\d{1,3}\]", first)) == len(items):
        return items
    return [_LISTED.sub("", ln[1:]).strip() for ln in answer.splitlines() if ln.startswith("・")]


def pointed_at(question: str, history: list[Turn]) -> str | None:
    """A follow-up pointing at one item of the list the last answer gave, as a question about it:
    「2つ目は？」 after the four targets is 「ターゲット2. 世界最先端の研究には何が書いてある？」."""
    n = ordinal(question)
    last = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    items = listed(last) if n else []
    if not n or not items or n > len(items):
        return None
    item = items[n - 1 if n > 0 else -1]
    return f"What does {item} say?" if detect_language(question) == "en" else f"{item}には何が書いてある？"


def standalone(question: str, history: list[Turn]) -> str:
    """The question joined to the (resolved) question it follows, when it is a follow-up.

    The earlier question comes first, so the follow-up's own words refine it: 「留学生の支援は？」
    then 「その中で住居に関するものは？」 is searched as both together. One pointing at an item of
    the list just given (「2つ目は？」) asks about that item."""
    if (item := pointed_at(question, history)) is not None:
        return item
    resolved: str | None = None
    for turn in history:
        if turn.role == "user" and turn.content.strip():
            resolved = _resolve(turn.content.strip(), resolved)
    return _resolve(question.strip(), resolved)


def _resolve(question: str, previous: str | None) -> str:
    return f"{previous} {question}" if previous and is_follow_up(question) else question
