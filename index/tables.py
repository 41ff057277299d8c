"""Rebuild tables that PDF extraction flattened into a label block and a value block.

The extraction printed a table's row labels one per line, then its values one per line, a
blank line standing for an empty cell. Which value goes with which label is ambiguous at the
edges (a group header such as "収入" has no value; a trailing empty cell leaves no line), so
each plausible alignment is tried and the one whose arithmetic holds wins: a parent row
equals the sum of its indented children, and "計" the sum of the top rows. Where nothing
fits, the text stays as it is and the caller says so in the build report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from index.document import Row, Span, Table

_VALUE = re.compile(r"^[△▲▽-]?\d[\d,]*(?:\.\d+)?(?:人|百万円|千円|円|%|％)?$")
_NOTE_VALUE = re.compile(r"^[(（].*\d.*[)）]$")  # "(うち博士課程(前期)234人)"
_UNIT = re.compile(r"[(（]単位\s*[:：]\s*([^)）]+)[)）]")
_ERA = re.compile(r"^(平成|令和|昭和)$")
_HEAD = re.compile(r"^区\s*分|単位\s*[:：]")  # column heads and unit lines are neither labels nor values
TOTALS = frozenset({"計", "合計", "小計", "総計"})  # the labels of a table's total rows
_MAX_LABEL = 40


@dataclass(frozen=True)
class _Cell:
    text: str
    indent: int
    line: int  # 1-based line number
    start: int
    end: int

    @property
    def blank(self) -> bool:
        return not self.text

    @property
    def is_value(self) -> bool:
        return bool(_VALUE.match(self.text) or _NOTE_VALUE.match(self.text))

    @property
    def is_label(self) -> bool:
        return (
            not self.blank
            and not self.is_value
            and len(self.text) <= _MAX_LABEL
            and not self.text.endswith("。")
            and not _HEAD.search(self.text)
        )


@dataclass(frozen=True)
class Failure:
    """A label/value block whose alignment could not be established."""

    line_start: int
    line_end: int


def find_tables(cells_in: Iterable[tuple[str, int, int]], section_title: str) -> tuple[list[Table], list[Failure]]:
    """Tables among the given lines: (raw line, 1-based line number, start offset) each."""
    cells = _merge_era_headers([_cell(raw, no, start) for raw, no, start in cells_in])
    tables: list[Table] = []
    failures: list[Failure] = []
    group, title, unit, i = "", section_title, "", 0
    while i < len(cells):
        c = cells[i]
        if c.text.startswith("__era__"):
            group, i = c.text[7:], i + 1
            continue
        block = _pair_at(cells, i)
        if block is None:
            i += 1
            continue
        labels, values, stop = block
        rows = _align(labels, values)
        if rows is None:
            failures.append(Failure(labels[0].line, values[-1].line))
        else:
            title = _title_before(cells, i) or title  # later parts of a table share its title and unit
            unit = _unit_before(cells, i) or unit
            span_end = max(v.end for v in values if not v.blank)
            last_line = max(v.line for v in values if not v.blank)
            tables.append(
                Table(" ".join(t for t in (title, group) if t), unit, tuple(Row(lbl, val, unit if val else "", ll, vl) for lbl, val, ll, vl in rows),
                      Span(labels[0].start, span_end, labels[0].line, last_line))
            )
        i = stop
    return tables, failures


def _cell(raw: str, no: int, start: int) -> _Cell:
    text = raw.strip(" \t\u3000")
    indent = len(raw) - len(raw.lstrip(" \t\u3000"))
    return _Cell(text, indent, no, start + indent, start + len(raw.rstrip(" \t\u3000")))


def _merge_era_headers(cells: list[_Cell]) -> list[_Cell]:
    """"平成" / "16" / "年度" on three lines is one group header, not a label and a value."""
    out, i = [], 0
    while i < len(cells):
        if i + 2 < len(cells) and _ERA.match(cells[i].text) and cells[i + 1].text.isdigit() and cells[i + 2].text == "年度":
            c = cells[i]
            out.append(_Cell(f"__era__{c.text}{cells[i + 1].text}年度", 0, c.line, c.start, cells[i + 2].end))
            i += 3
        else:
            out.append(cells[i])
            i += 1
    return out


def _pair_at(cells: list[_Cell], i: int) -> tuple[list[_Cell], list[_Cell], int] | None:
    """A label block starting at `i` followed by a value block, or None."""
    if not cells[i].is_label:
        return None
    j = i
    while j < len(cells) and (cells[j].is_label or cells[j].blank) and not cells[j].text.startswith("__era__"):
        j += 1
    labels = cells[i:j]
    while labels and labels[-1].blank:
        labels.pop()
    k = j
    while k < len(cells) and (cells[k].is_value or cells[k].blank):
        k += 1
    values = cells[j:k]
    if sum(1 for c in labels if not c.blank) < 2 or sum(1 for c in values if c.is_value) < 2:
        return None
    return labels, values, k


_Rows = list[tuple[str, str, int, int]]  # label path, value, label line, value line


def _align(labels: list[_Cell], values: list[_Cell]) -> _Rows | None:
    candidates: list[tuple[int, _Rows]] = []
    for group, body in _positional_splits(labels):
        pairs = _zip_positional(body, values)
        if pairs is not None:
            candidates.append((_arithmetic_score(pairs), _rows(pairs, group)))
    grouped = _zip_grouped(labels, values)
    if grouped is not None:
        candidates.append((0, _rows(grouped, None)))
    if not candidates:
        return None
    best = max(score for score, _ in candidates)
    return next(rows for score, rows in candidates if score == best)


def _positional_splits(labels: list[_Cell]) -> list[tuple[_Cell | None, list[_Cell]]]:
    """Every label may have a value; or the first is a group header ("収入") and has none."""
    splits: list[tuple[_Cell | None, list[_Cell]]] = [(None, labels)]
    if len(labels) > 1 and not labels[1].blank and labels[0].indent < labels[1].indent:
        splits.append((labels[0], labels[1:]))
    return splits


def _zip_positional(labels: Sequence[_Cell], values: Sequence[_Cell]) -> list[tuple[_Cell, _Cell | None]] | None:
    """Line-by-line pairing; surplus value lines must be empty, missing ones are empty cells."""
    if any(not v.blank for v in values[len(labels) :]):
        return None
    if len(values) < len(labels) - 2:
        return None
    return [(lbl, values[n] if n < len(values) else None) for n, lbl in enumerate(labels)]


def _zip_grouped(labels: Sequence[_Cell], values: Sequence[_Cell]) -> list[tuple[_Cell, _Cell | None]] | None:
    """Non-empty labels against main values, when notes such as "(うち…)" took extra lines."""
    names = [c for c in labels if not c.blank]
    mains = [c for c in values if c.is_value and not _NOTE_VALUE.match(c.text)]
    if len(names) != len(mains):
        return None
    pairs: list[tuple[_Cell, _Cell | None]] = []
    for v in values:
        if v.blank:
            continue
        if _NOTE_VALUE.match(v.text) and pairs:
            pairs.append((_Cell("", 0, v.line, v.start, v.end), v))  # a note on the row above
        elif not _NOTE_VALUE.match(v.text):
            pairs.append((names[len([p for p in pairs if p[0].text])], v))
    return pairs


def _number(cell: _Cell | None) -> float | None:
    if cell is None or cell.blank or not _VALUE.match(cell.text):
        return None
    return float(re.sub(r"[^\d.]", "", cell.text) or 0) * (-1 if cell.text[0] in "△▲▽-" else 1)


def _arithmetic_score(pairs: list[tuple[_Cell, _Cell | None]]) -> int:
    """Sums that hold minus sums that fail, by indentation and by "計" rows."""
    rows = [(lbl, _number(val)) for lbl, val in pairs if not lbl.blank]
    score = 0
    for n, (lbl, value) in enumerate(rows):
        if lbl.text in TOTALS:
            top = [v for c, v in rows if c.text not in TOTALS and c.indent == min(x.indent for x, _ in rows if x.text not in TOTALS)]
            parts = [v for v in top if v is not None]
        else:
            children = []
            for c, v in rows[n + 1 :]:
                if c.indent <= lbl.indent or c.text in TOTALS:
                    break
                children.append((c, v))
            if not children:
                continue
            depth = min(c.indent for c, _ in children)
            parts = [v for c, v in children if c.indent == depth and v is not None]
        if value is None or not parts:
            continue
        score += 1 if abs(sum(parts) - value) < 0.5 else -1
    return score


def _rows(pairs: list[tuple[_Cell, _Cell | None]], group: _Cell | None) -> _Rows:
    """Label paths from indentation; a note line joins the value of the row above."""
    rows: _Rows = []
    stack: list[_Cell] = []
    prefix = [group.text] if group else []
    for lbl, val in pairs:
        value = val.text if val is not None and not val.blank else ""
        if lbl.blank:
            if value and rows:
                path, prev, ll, vl = rows[-1]
                rows[-1] = (path, f"{prev} {value}".strip(), ll, vl)
            continue
        if lbl.text in TOTALS:
            path = [*prefix, lbl.text]
        else:
            while stack and stack[-1].indent >= lbl.indent:
                stack.pop()
            stack.append(lbl)
            path = [*prefix, *(c.text for c in stack)]
        rows.append((" / ".join(path), value, lbl.line, val.line if val is not None else lbl.line))
    return rows


def _unit_before(cells: list[_Cell], i: int) -> str:
    for c in reversed(cells[max(0, i - 4) : i]):
        if m := _UNIT.search(c.text):
            return m.group(1).strip()
    return ""


def _title_before(cells: list[_Cell], i: int) -> str:
    for c in reversed(cells[max(0, i - 5) : i]):
        if c.blank or _HEAD.search(c.text) or c.text.startswith("__era__"):
            continue
        if not c.is_value and len(c.text) <= _MAX_LABEL:
            return c.text
        break
    return ""
