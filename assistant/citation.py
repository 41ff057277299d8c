"""Citations and answers: what the assistant says, and the plan passages it says it from.

The retrieved passages are numbered before any answerer sees them; marker [n] in an answer
means passage n. An answer keeps the passages its text refers to, and every passage is
checked to be a verbatim slice of the cited section of the plan text before it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.retrieve import Hit
from index.build import DocumentText
from index.document import Chunk

MARKER = re.compile(r"\[(\d{1,3})\]")


@dataclass
class Citation:
    """A numbered plan passage: where it is in which plan, and its verbatim text."""

    marker: int
    document_id: str
    document_title: str
    section_id: str
    label: str  # "Ⅰ-1-(4)-2)"
    path: tuple[str, ...]  # titles from the top-level section down
    passage: str  # verbatim slice of the document text
    start: int  # character offsets of the passage in the document text
    end: int
    line_start: int
    line_end: int
    score: float
    rows: tuple[str, ...] = ()  # a table's rows as rebuilt ("収入 / 運営費交付金: 11,528 百万円")
    verified: bool = False

    @property
    def heading(self) -> str:
        """Label and section title, each once (`heading`)."""
        return heading(self.label, self.path)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": list(self.path), "rows": list(self.rows)}


@dataclass
class Answer:
    """One turn's answer: its text with [n] markers, and the citations those markers name."""

    question: str  # as asked
    standalone: str  # the question as searched, follow-ups resolved against the conversation
    language: str  # "ja" | "en"
    found: bool  # False: the plans do not answer it (`related` then lists the nearest sections)
    text: str
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)
    answerer: str = "offline"  # "offline" or "llm:<model>"
    evidence: float = 0.0  # share of the question's weighted terms held by the best sentence found
    notes: list[str] = field(default_factory=list)  # fallbacks, removed markers, unsupported sentences
    removed_markers: list[int] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in asdict(self).items() if k not in ("citations", "related")},
            "citations": [c.as_dict() for c in self.citations],
            "related": [c.as_dict() for c in self.related],
        }


def cite(marker: int, hit: Hit, start: int, end: int, passage: str, line_start: int, line_end: int,
         rows: tuple[str, ...] = ()) -> Citation:
    """A citation of part of a retrieved section."""
    return Citation(marker, hit.document_id, hit.document_title, hit.section_id, hit.label, hit.path,
                    passage, start, end, line_start, line_end, round(hit.score, 5), rows)


def cite_chunk(marker: int, hit: Hit, chunk: Chunk) -> Citation:
    """A citation of a whole chunk of a retrieved section."""
    span = chunk.span
    return cite(marker, hit, span.start, span.end, chunk.text, span.line_start, span.line_end, chunk.rows)


def markers_in(text: str) -> list[int]:
    """The markers an answer uses, in order of first use."""
    return list(dict.fromkeys(int(m) for m in MARKER.findall(text)))


def verify(citations: list[Citation], documents: dict[str, DocumentText]) -> None:
    """Mark each citation verified when its passage is, character for character, the text at
    its offsets in the plan, inside the section it names (descendants included)."""
    for c in citations:
        document = documents.get(c.document_id)
        bounds = document.sections.get(c.section_id) if document else None
        c.verified = bool(
            document and bounds and bounds[0] <= c.start <= c.end <= bounds[1]
            and document.text[c.start:c.end] == c.passage
        )


# --- naming a cited section: its label and titles, each once --------------------------

_BRACKETS = "〔〕【】［］[]()（）「」『』"
_AFTER_NUMBER = " 　.．:："  # what follows a number that begins a title (「ターゲット2. 」), not a digit


def _titles(path: Sequence[str]) -> list[str]:
    titles: list[str] = []
    for title in path:
        title = str(title).strip()
        if title and (not titles or titles[-1] != title):
            titles.append(title)
    return titles


def _names(part: str, title: str) -> str | None:
    """What is left of `title` once the label part `part` is said: "" when the part is the
    title, the rest when the part begins it (ターゲット2 of 「ターゲット2. 世界…」), None otherwise."""
    core = part.strip(_BRACKETS)
    if not core:
        return None
    if core == title:
        return ""
    after = title[len(core):]
    if title.startswith(core) and after[0] in _AFTER_NUMBER and not after[1:2].isdigit():
        return after.lstrip(_AFTER_NUMBER)
    return None


def heading(label: str, path: Sequence[str]) -> str:
    """Label and the section's own title, neither twice: 「Ⅶ-1 短期借入金の限度額」,
    「ターゲット2. 世界最先端の研究」 (a label made of titles says nothing more)."""
    titles = _titles(path)
    title = titles[-1] if titles else ""
    parts = [p for p in label.split("-") if p]
    if not parts:
        return title
    if all(any(_names(p, t) is not None for t in titles) for p in parts):
        return title  # the label is the titles
    rest = _names(parts[-1], title) if title else ""
    if rest is None:
        return f"{label} {title}"
    return f"{label} {rest}".strip()


def context(label: str, path: Sequence[str]) -> list[str]:
    """The titles above the section, without those its label already says."""
    parts = [p for p in label.split("-") if p]
    above = _titles(path)[:-1]
    if all(any(_names(p, t) is not None for t in _titles(path)) for p in parts):
        return above
    return [t for t in above if not any(_names(p, t) == "" for p in parts)]
