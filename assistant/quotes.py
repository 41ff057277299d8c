"""Candidate passages and quote selection: the retrieved sections cut into quotable sentences (a plan
item stays whole; a table gives its rebuilt rows), and the best of them chosen, grouped by section.

The offline answerer (`assistant.offline`) scores each sentence by the share of the question it holds
(`assistant.concepts`); this module cuts and chooses: the best section's sentences at length, so that a
question about a section is answered by its items, others briefly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.concepts import passage_words
from assistant.retrieve import Hit

KEEP_RATIO = 0.7  # other sentences quoted when they hold this share of the best one's coverage
MAX_QUOTES = 6
OTHER_KEEP = 0.9  # another section is quoted only when it holds the question nearly as well
OTHER_QUOTES = 2  # sentences quoted from a section other than the best one's
MAX_SECTIONS = 3
MAX_ROWS = 5
MIN_SENTENCE_CHARS = 12  # a shorter sentence is quoted with the one before it
_SENTENCE_END = re.compile(r"(?<=。)(?![)）」』])")


@dataclass
class Sentence:
    """A quotable piece of a retrieved section: a sentence, an item, or a table's rows."""

    hit: Hit
    rank: int
    start: int
    end: int
    text: str
    line_start: int
    line_end: int
    rows: tuple[str, ...] = ()
    caption: str = ""  # a table's title: which table, which year its rows give
    coverage: float = 0.0
    said: float = 0.0  # the share of the question in the sentence's own words, not its section's titles
    matched_rows: tuple[str, ...] = ()  # the rows that name what the question asks for


def cut(hit: Hit, rank: int, text: str) -> list[Sentence]:
    """The quotable sentences of a retrieved section (`rank`: its place in the search): its items whole,
    its other text cut after each 。, a table as its rows; its heading lines only when it says nothing else."""
    out: list[Sentence] = []
    headings: list[Sentence] = []  # quoted only when the section says nothing else (「担保に供する計画の予定はない。」)
    titles = squash(" ".join((hit.label, *hit.path)))
    for chunk in hit.chunks:
        if chunk.kind == "table":
            out.append(Sentence(hit, rank, chunk.span.start, chunk.span.end, chunk.text,
                                 chunk.span.line_start, chunk.span.line_end, chunk.rows, chunk.caption))
            continue
        pieces = [chunk.text] if chunk.kind == "item" and len(chunk.text) < 300 else _sentence_pieces(chunk.text)
        offset = chunk.span.start
        for piece in pieces:
            start = offset + len(piece) - len(piece.lstrip())
            end = offset + len(piece.rstrip())
            offset += len(piece)
            body = text[start:end]
            if len(squash(body)) < 4:
                continue
            first = chunk.span.line_start + text.count("\n", chunk.span.start, start)
            sentence = Sentence(hit, rank, start, end, body, first, first + body.count("\n"))
            # a heading says nothing the path does not
            (headings if squash(body) in titles else out).append(sentence)
    return out or headings


def _sentence_pieces(text: str) -> list[str]:
    """`text` cut after each 。, a piece too short to stand alone kept with the one before it on
    its line (「α(アルファ) :効率化係数。△1%とする。」 is one statement)."""
    pieces: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if pieces and "\n" not in piece and len(squash(piece)) < MIN_SENTENCE_CHARS:
            pieces[-1] += piece
        else:
            pieces.append(piece)
    return pieces


def choose(ranked: list[Sentence]) -> list[Sentence]:
    """The best sentence and those nearly as good, in plan order within a section and in order
    of best evidence across sections.

    The best sentence's section may be quoted at length (a list question is answered by the
    section's items, which lean on its titles); another section by at most OTHER_QUOTES. The
    section the search ranks first is always quoted: when its words hold less of the question
    than another's, the two measures disagree, and the reader sees both."""
    best = ranked[0]
    chosen: list[Sentence] = []
    sections: list[str] = [best.hit.section_id]
    for s in ranked:
        if len(chosen) == MAX_QUOTES or s.coverage < best.coverage * KEEP_RATIO:
            break
        section = s.hit.section_id
        if section != best.hit.section_id and (sum(c.hit.section_id == section for c in chosen) == OTHER_QUOTES
                                               or s.coverage < best.coverage * OTHER_KEEP
                                               or section not in sections and len(sections) == MAX_SECTIONS):
            continue
        if section not in sections:
            sections.append(section)
        chosen.append(s)
    first = next((s for s in ranked if s.rank == 0), None)  # the best sentence of the search's first section
    if first is not None and first.hit.section_id not in sections:
        sections.append(first.hit.section_id)
        chosen.append(first)
    return sorted(chosen, key=lambda s: (sections.index(s.hit.section_id), s.start))


_NOT_WORDS = re.compile(r"[\s\d０-９.．、,，。()（）〔〕［］\[\]「」①-⑳Ⅰ-Ⅻ\-]")


@lru_cache(maxsize=50_000)
def squash(text: str) -> str:
    """Text without markers, brackets, punctuation and spaces, to compare headings with titles
    (of plan lines and titles, a fixed text: each is squashed once)."""
    return _NOT_WORDS.sub("", text)


def same(text: str) -> str:
    """Text as compared for repetition: its characters without line breaks and spaces."""
    return "".join(text.split())


def flat(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()


def rows_asked(rows: tuple[str, ...], wanted: set[str], own: set[str] = frozenset()) -> tuple[str, ...]:
    """The rows whose labels share the most terms with the question (at most MAX_ROWS), else those
    whose whole text does; with a follow-up's `own` terms first (「経済学部は？」 after 教育人間科学部's
    enrolment: 経済学部's row)."""
    for part in (lambda r: r.rsplit(":", 1)[0], lambda r: r):  # the labels, else what the rows say too (「(法曹養成課程 50人)」)
        overlap = [(len(own & words), len(wanted & words)) for r in rows for words in [passage_words(part(r)).terms]]
        best = max(overlap, default=(0, 0))
        if any(best):
            return tuple(r for r, n in zip(rows, overlap) if n == best)[:MAX_ROWS]
    return ()
