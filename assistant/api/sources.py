"""How a citation is named: its label, its title and the titles above it, each said once.

A plan's label may already hold its titles (a plan without numbers is labelled by them:
「国際戦略のアクション：プロセス-ターゲット2」 over 「ターゲット2. 世界最先端の研究」; an annex by its
bracketed heading: 「別紙-1-Ⅱ-〔特定運営費交付金対象収入〕」), and a path may repeat a title (a
section titled as its parent). `assistant.citation.heading` and `context` name a citation once;
the answer's text, the Sources text and the UI all use them, so they show the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.citation import Answer, Citation, context, heading


def name(c: Citation) -> str:
    """One line for a citation: heading, the titles above it, the plan."""
    where = " › ".join(context(c.label, c.path))
    return f"{heading(c.label, c.path)}{' — ' + where if where else ''} ({c.document_title})"


def table(rows: Sequence[str]) -> str:
    """A table's rebuilt rows (「収入 / 運営費交付金: 53,301 百万円」) as a Markdown table."""
    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    lines = ["| 項目 / item | 値 / value |", "| --- | --- |"]
    for row in rows:
        item, sep, value = str(row).partition(": ")
        lines.append(f"| {cell(item)} | {cell(value) if sep else ''} |")
    return "\n".join(lines)


def sources_text(answer: Answer) -> str:
    """The citations as text, for clients that show only text (the OpenAI endpoint): one line
    per section and table, its markers together; a table's rows under it as a table."""
    cited = answer.citations or answer.related
    if not cited:
        return ""
    merged: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for c in cited:
        merged.setdefault((name(c), tuple(c.rows)), []).append(c.marker)
    blocks = []
    for (line, rows), markers in merged.items():
        lead = "".join(f"[{m}]" for m in markers) if answer.citations else "-"
        blocks.append(f"{lead} {line}" + (f"\n\n{table(rows)}\n" if rows else ""))
    title = "Sources:" if answer.citations else "Related sections:"
    return title + "\n" + "\n".join(blocks).rstrip("\n")
