"""The parsed plan: a document, its section tree, items, tables and chunks.

Offsets are character offsets into `Document.text` (the repaired text, which is what is
shown, parsed and cited); line numbers are 1-based lines of that same text, which has the
same lines as the file as loaded (repairs never add or remove a line).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """Where something stands in the document text."""

    start: int
    end: int
    line_start: int
    line_end: int


@dataclass(frozen=True)
class Item:
    """A numbered (or bulleted) plan item: the unit a chunk never cuts."""

    marker: str  # as printed: "1.", "a.", "①", "-"
    span: Span  # the whole item, marker and sub-items included


@dataclass(frozen=True)
class Row:
    """One rebuilt row of a flattened table: `label: value unit`."""

    label: str  # path of row labels joined by " / " (e.g. "収入 / 自己収入 / 雑収入")
    value: str  # as printed ("53,301"); "" for an empty cell
    unit: str  # from the table head ("百万円", "人") or ""
    label_line: int
    value_line: int

    def __str__(self) -> str:
        if not self.value:
            return f"{self.label}: -"
        return f"{self.label}: {self.value}{' ' + self.unit if self.unit else ''}"


@dataclass(frozen=True)
class Table:
    """A table the extraction flattened into a label block and a value block."""

    title: str
    unit: str
    rows: tuple[Row, ...]
    span: Span

    def as_text(self, rows: tuple[Row, ...] | None = None) -> str:
        """The title and one line per row (all rows, or the given part of them)."""
        head = f"{self.title}（単位:{self.unit}）" if self.unit else self.title
        return "\n".join([head, *(str(r) for r in (self.rows if rows is None else rows))])


@dataclass
class Section:
    """A node of the plan's own section tree."""

    id: str  # "<document id>:<ordinal path>", e.g. "ynu-midterm-2004:1.1.1.1.1"
    document_id: str
    number: str  # own marker as printed after repair ("Ⅰ", "1", "(1)", "①", "ターゲット1"), or ""
    title: str
    label: str  # markers of the path joined by "-": "Ⅰ-1-(1)-1)-①"
    parent_id: str | None
    level: int  # 1 for top-level sections
    numbered: bool  # every part of the label is a printed marker (else some are titles)
    path: tuple[str, ...]  # titles from the top-level section down to this one
    span: Span  # own text: heading line up to the first child or the next section
    end: int = 0  # end of the whole subtree (own text and descendants)
    items: list[Item] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    children: list[str] = field(default_factory=list)

    @property
    def heading(self) -> str:
        """How the outline shows it: "Ⅰ-1-(4)-2) 生活相談…", or the title where it names itself."""
        if self.numbered:
            return f"{self.label} {self.title}".strip()
        return self.title if self.title.startswith(self.number) else f"{self.number} {self.title}".strip()


@dataclass(frozen=True)
class Repair:
    """One change made to the extracted text, kept for the build report."""

    kind: str  # "roman-numeral", "circled-number", "square-metre", "kangxi-radical", "page-furniture"
    line: int
    before: str
    after: str


@dataclass
class Document:
    id: str
    title: str
    title_en: str
    source: str  # file name in the plans folder
    format: str
    encoding: str | None
    language: str
    original: str  # the text as loaded, before repair
    text: str  # the repaired text
    meta: dict[str, object] = field(default_factory=dict)
    repairs: list[Repair] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)  # pre-order
    notes: list[str] = field(default_factory=list)  # what the parser could not do with confidence

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def by_label(self, label: str) -> Section:
        for s in self.sections:
            if s.label == label:
                return s
        raise KeyError(label)


@dataclass(frozen=True)
class Chunk:
    """The unit that is indexed and cited: part of one section, never half an item."""

    id: str  # "<section id>#<n>"
    document_id: str
    document_title: str
    section_id: str
    label: str
    path: tuple[str, ...]
    kind: str  # "text" | "item" | "table"
    text: str  # verbatim slice of Document.text at span
    span: Span
    tokens: int
    index_text: str  # breadcrumb + content (table rows rebuilt): what search sees

    @property
    def breadcrumb(self) -> str:
        return " > ".join((self.document_title, *self.path))

    @property
    def caption(self) -> str:
        """A table chunk's title, with the group its rows belong to ("別表(収容定員) 平成21年度");
        "" for text."""
        return self.index_text.splitlines()[1] if self.kind == "table" else ""

    @property
    def rows(self) -> tuple[str, ...]:
        """A table chunk's rows as rebuilt ("収入 / 運営費交付金: 11,528 百万円"); () for text."""
        return tuple(self.index_text.splitlines()[2:]) if self.kind == "table" else ()  # after breadcrumb, title
