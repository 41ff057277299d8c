"""Which institutions a question names that no loaded plan covers.

「京都大学の国際戦略は？」 asked of plans that include no Kyoto plan is answered from the plans that are
loaded, but the answer says first that Kyoto's plan is not among them: a new user must not take
another university's strategy for the one asked about. Asked of a loaded plan, the other university
is what the question is about (「広大の協定校にアリゾナ州立大学は入ってる？」), and a plan that never
mentions it does not say. An institution counts as covered when a plan is named by it (its names,
`assistant.question.named_plans`) or a plan's text mentions it (横浜市立大学, YNU's partner, is spoken
of in YNU's plan).
"""

from __future__ import annotations

import re

from assistant.question import named_plans
from index.analyze import normalize, proper_nouns
from index.dictionary import abbreviated
from index.build import DocumentText

_JAPANESE = re.compile(r"大学?$")  # 京都大学, 京大: a proper noun ending so names a university
# "Kyoto University", "University of Tokyo"; not "Which University …" (a capital that begins a question)
_ENGLISH = re.compile(r"\b(?:(?:(?!(?:What|Which|Who|Whose|How|Does|Do|Is|Are|Can|The|This|That|Our|Your|Each|Every|Any)\b)"
                      r"[A-Z][\w-]+\s+)+University|University\s+of(?:\s+[A-Z][\w-]+)+)\b")


def unloaded(question: str, documents: dict[str, DocumentText]) -> list[str]:
    """The universities `question` names that no plan of `documents` is named by or mentions."""
    found = [n for n in proper_nouns(question) if _JAPANESE.search(n)] + _ENGLISH.findall(question)
    if not found:  # most questions: no plan's text is read
        return []
    names = {d.id: tuple(n for n in (*d.names, d.title, d.title_en) if n) for d in documents.values()}  # a plan may have no English title
    return [n for n in dict.fromkeys(found)
            if not named_plans(n, names) and not _mentioned(n, documents) and not _shortens(n, names)]


def _shortens(name: str, names: dict[str, tuple[str, ...]]) -> bool:
    """Whether `name` may be a loaded plan's institution by a short form its text does not give: a
    Japanese short name keeps its full name's first character and others in order (お茶大 for
    お茶の水女子大学), unless JMnedict says it stands for another university (東大: Tokyo University,
    not 東北大学)."""
    stem = re.sub(r"大学?$", "", name)
    if not stem or name.isascii():
        return False
    if (meant := abbreviated(name)):
        return any(normalize(m) == normalize(n) for m in meant for plan_names in names.values() for n in plan_names)
    return any(n.endswith("大学") and n[0] == stem[0] and _in_order(stem, n[:-2])
               for plan_names in names.values() for n in plan_names)


def _in_order(short: str, full: str) -> bool:
    """Whether every character of `short` occurs in `full`, in order."""
    rest = iter(full)
    return all(ch in rest for ch in short)


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
