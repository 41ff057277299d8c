"""Follow-up questions made standalone, so search sees what the user means.

The API is stateless: the caller sends the earlier turns. 「その中で住居に関するものは？」 or
"Which fields specifically?" means nothing to a search on its own; offline, a follow-up is
searched together with the key terms of the question it follows (an LLM rewrite replaces
this when a chat model is configured).
"""

from __future__ import annotations

import re
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


def standalone(question: str, history: list[Turn]) -> str:
    """The question joined to the (resolved) question it follows, when it is a follow-up.

    The earlier question comes first, so the follow-up's own words refine it: 「留学生の支援は？」
    then 「その中で住居に関するものは？」 is searched as both together."""
    resolved: str | None = None
    for turn in history:
        if turn.role == "user" and turn.content.strip():
            resolved = _resolve(turn.content.strip(), resolved)
    return _resolve(question.strip(), resolved)


def _resolve(question: str, previous: str | None) -> str:
    return f"{previous} {question}" if previous and is_follow_up(question) else question
