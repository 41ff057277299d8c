"""Which institutions a question names that no loaded plan covers.

「京都大学の国際戦略は？」 asked of plans that include no Kyoto plan is answered from the plans that are
loaded, but the answer says first that Kyoto's plan is not among them: a new user must not take
another university's strategy for the one asked about. Asked of a loaded plan, the other university
is what the question is about (「広大の協定校にアリゾナ州立大学は入ってる？」), and a plan that never
mentions it does not say. An institution counts as covered when a plan is named by it (its names,
`assistant.question.named_plans`, short forms too: お茶大) or a plan's text mentions it (横浜市立大学, YNU's partner, is spoken
of in YNU's plan).
"""

from __future__ import annotations

import re

from assistant.question import UNIVERSITY, named_plans, shortened
from index.analyze import normalize, proper_nouns
from index.build import DocumentText

# "Kyoto University", "University of Tokyo"; not "Which University …" (a capital that begins a question)
_ENGLISH = re.compile(r"\b(?:(?:(?!(?:What|Which|Who|Whose|How|Does|Do|Is|Are|Can|The|This|That|Our|Your|Each|Every|Any)\b)"
                      r"[A-Z][\w-]+\s+)+University|University\s+of(?:\s+[A-Z][\w-]+)+)\b")


def unloaded(question: str, documents: dict[str, DocumentText]) -> list[str]:
    """The universities `question` names that no plan of `documents` is named by or mentions."""
    found = [n for n in proper_nouns(question) if UNIVERSITY.search(n)] + _ENGLISH.findall(question)
    if not found:  # most questions: no plan's text is read
        return []
    names = {d.id: tuple(n for n in (*d.names, d.title, d.title_en) if n) for d in documents.values()}  # a plan may have no English title
    # `shortened` as well: a name found in the question, read alone, need not read as a proper noun again.
    return [n for n in dict.fromkeys(found) if not named_plans(n, names) and not shortened(n, names) and not _mentioned(n, documents)]


def _mentioned(name: str, documents: dict[str, DocumentText]) -> bool:
    """Whether a plan's text holds `name`: as written first, NFKC-folded only if not (full-width letters)."""
    return (any(name in d.text for d in documents.values())
            or any(normalize(name) in normalize(d.text) for d in documents.values()))


def not_loaded(missing: list[str], language: str) -> str:
    """The sentence an answer begins with when the plans of the universities it names are not loaded."""
    if language != "ja":
        return f"No plan of {', '.join(missing)} is loaded here."
    return f"{'、'.join(missing)}の計画は読み込まれていません。"


def not_mentioned(missing: list[str], language: str) -> str:
    """Why a question about a loaded plan and the `missing` universities is not answered."""
    if language != "ja":
        return f"The plans do not say: none of them mentions {', '.join(missing)}."
    return f"{'、'.join(missing)}に触れた計画はないため、計画からは答えられません。"
