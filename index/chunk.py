"""Section-aware chunks: one plan item, one table, or a small section per chunk.

A chunk never spans two sections and never cuts an item: an answer can then quote a whole
item and cite its section. Long unnumbered text is split at paragraph, then line, bounds.
Each chunk's `text` is a verbatim slice of the document text; `index_text` adds the
breadcrumb (document title and section path) and, for tables, the rebuilt rows.
"""

from __future__ import annotations

from index.document import Chunk, Document, Row, Section, Span, Table
from index.sections import Line, split_lines
from index.tokens import count_tokens


def chunk_document(doc: Document, max_tokens: int) -> list[Chunk]:
    lines = split_lines(doc.text)
    chunks: list[Chunk] = []
    for section in doc.sections:
        chunks.extend(_chunk_section(doc, section, lines, max_tokens))
    return chunks


def header(doc: Document, section: Section) -> str:
    """The breadcrumb every chunk is indexed with: document title, section path, label."""
    crumb = " > ".join((doc.title, *section.path))
    return f"{crumb}［{section.label}］" if section.numbered else crumb


def _chunk_section(doc: Document, section: Section, lines: list[Line], max_tokens: int) -> list[Chunk]:
    head = header(doc, section)
    budget = max(max_tokens - count_tokens(head) - 1, 1)
    first, last = section.span.line_start - 1, section.span.line_end - 1
    units: list[tuple[Span, str, str]] = []  # span, kind, body (what is indexed after the header)
    covered: set[int] = set()
    for table in section.tables:
        parts = _table_parts(table, budget)
        for k, rows in enumerate(parts):
            a = table.span.line_start if k == 0 else min(min(r.label_line, r.value_line) for r in rows)
            b = table.span.line_end if k == len(parts) - 1 else max(max(r.label_line, r.value_line) for r in rows)
            units.append((_span(lines, a - 1, b - 1), "table", table.as_text(rows)))
        covered.update(range(table.span.line_start - 1, table.span.line_end))
    for item in section.items:
        a, b = item.span.line_start - 1, item.span.line_end - 1
        if not covered.intersection(range(a, b + 1)):
            units.append((item.span, "item", ""))
            covered.update(range(a, b + 1))
    runs = _runs([i for i in range(first, last + 1) if i not in covered and lines[i].raw.strip()])
    if runs == [(first, first)] and (units or section.children):
        runs = []  # a bare heading: its title lives on in the breadcrumb of what follows
    if not units and runs and _tokens(lines, first, last) <= budget:
        runs = [(first, last)]  # a small section is one chunk
    for a, b in runs:
        units.extend((_span(lines, x, y), "text", "") for x, y in _split(lines, a, b, budget))
    units.sort(key=lambda u: u[0].start)

    out = []
    for n, (span, kind, body) in enumerate(units, start=1):
        text = doc.text[span.start : span.end]
        index_text = f"{head}\n{body or text}"
        out.append(
            Chunk(
                id=f"{section.id}#{n}",
                document_id=doc.id,
                document_title=doc.title,
                section_id=section.id,
                label=section.label,
                path=section.path,
                kind=kind,
                text=text,
                span=span,
                tokens=count_tokens(index_text),
                index_text=index_text,
            )
        )
    return out


def _table_parts(table: Table, budget: int) -> list[tuple[Row, ...]]:
    """Rows packed into parts under the budget, breaking before a top-level row where possible."""
    parts: list[list[Row]] = [[]]
    for row in table.rows:
        candidate = [*parts[-1], row]
        if parts[-1] and count_tokens(table.as_text(tuple(candidate))) > budget:
            top_breaks = [k for k, r in enumerate(parts[-1]) if k and " / " not in r.label]
            cut = top_breaks[-1] if top_breaks else len(parts[-1])
            parts[-1], carry = parts[-1][:cut], parts[-1][cut:]
            parts.append([*carry, row])
        else:
            parts[-1] = candidate
    return [tuple(p) for p in parts if p]


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Maximal runs of lines, allowing single blank lines inside a run."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and i - runs[-1][1] <= 2:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _tokens(lines: list[Line], a: int, b: int) -> int:
    return count_tokens("\n".join(ln.raw for ln in lines[a : b + 1]))


def _split(lines: list[Line], a: int, b: int, max_tokens: int) -> list[tuple[int, int]]:
    """Split lines a..b into pieces under max_tokens, at blank lines first, then at any line."""
    if _tokens(lines, a, b) <= max_tokens or a == b:
        return [(a, b)]
    blanks = [i for i in range(a + 1, b) if not lines[i].raw.strip()]
    cut = min(blanks, key=lambda i: abs(i - (a + b) / 2)) if blanks else (a + b) // 2
    left_end = cut - 1 if blanks else cut
    right_start = cut + 1
    while left_end > a and not lines[left_end].raw.strip():
        left_end -= 1
    while right_start < b and not lines[right_start].raw.strip():
        right_start += 1
    return _split(lines, a, left_end, max_tokens) + _split(lines, right_start, b, max_tokens)


def _span(lines: list[Line], a: int, b: int) -> Span:
    first, last = lines[a], lines[b]
    return Span(first.start + first.indent, last.text_end, first.no, last.no)
