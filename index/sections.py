"""Parse a plan's text into its own section tree.

Numbered plans: the hierarchy is inferred from the order in which marker kinds appear. A
marker of a kind already open on the stack, continuing its number, closes the deeper
sections and opens a sibling; a kind not seen in the current path opens a child; a marked
line that reads as a sentence (ends with 。) or continues the current list is an *item* of
the current section, not a section.

Plans without numbering: short standalone lines are headings and "- " lines are bullets; a
block (text between runs of blank lines) whose first line is a heading followed directly
by further headings is titled by that line, and its other headings nest under it;
series headings ("プロセス1", "ターゲット2") nest under the latest top-level heading.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index import markers
from index.document import Item, Section, Span
from index.markers import Marker

_SECTION_KINDS = {"Ⅰ", "1", "(1)", "1)", "①", "(①)", "第N", "第N章", "第N節", "第N部", "第N編", "1-1", "1-1-1", "1-1-1-1"}
# Kinds that mark a plan's major divisions, by rank (appendices first): one is never placed inside
# a bracketed block or a division of its rank or below that precedes it (「（前文）」 then 「Ⅰ …」:
# Ⅰ is not part of the preamble).
_DIVISION_RANK = {"別紙": -1, "第N部": 0, "第N編": 0, "第N章": 1, "第N": 2, "Ⅰ": 2, "第N節": 3}
_SENTENCE_END = ("。", ",", "、", "，", "．")
_MAX_HEADING = 80  # characters after the marker
_MAX_PLAIN_HEADING = 32  # an unnumbered heading is a short line


@dataclass
class Line:
    no: int  # 1-based
    start: int
    end: int  # excluding the newline
    raw: str

    @property
    def text(self) -> str:
        return self.raw.strip(" \t\u3000")

    @property
    def indent(self) -> int:
        return len(self.raw) - len(self.raw.lstrip(" \t\u3000"))

    @property
    def text_end(self) -> int:
        """End offset of the line without trailing white space."""
        return self.start + len(self.raw.rstrip(" \t\u3000"))

    @property
    def blank(self) -> bool:
        return not self.text


@dataclass
class _Node:
    kind: str  # marker kind, "plain" for an unnumbered heading, "root"/"front" otherwise
    number: int
    marker: str
    title: str
    line: int  # index into lines of the heading (or first line)
    level: int
    children: list[_Node] = field(default_factory=list)
    items: list[tuple[str, int, int, int]] = field(default_factory=list)  # marker, first, last, indent
    item_numbers: dict[str, int] = field(default_factory=dict)  # last number per item kind
    last_line: int = -1  # last line index of its own text
    numbers: tuple[int, ...] = ()  # its number with a hierarchical number's parents: (2, 1) for 2-1


def split_lines(text: str) -> list[Line]:
    lines, pos = [], 0
    for no, raw in enumerate(text.split("\n"), start=1):
        lines.append(Line(no, pos, pos + len(raw), raw))
        pos += len(raw) + 1
    return lines


class _Parser:
    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        series = markers.series_words([ln.text for ln in lines])
        self.marks = [markers.match(ln.text, series) if not ln.blank else None for ln in lines]
        self.root = _Node("root", 0, "", "", -1, 0)
        self.stack: list[_Node] = [self.root]
        self.open_item: int | None = None  # index in the current node's items, while no blank line intervenes

    # -- helpers ---------------------------------------------------------------------
    def _next_nonblank(self, i: int) -> int | None:
        for j in range(i + 1, len(self.lines)):
            if not self.lines[j].blank:
                return j
        return None

    def _push(self, node: _Node, parent: _Node) -> None:
        while self.stack[-1] is not parent:
            self.stack.pop()
        node.level = parent.level + 1
        parent.children.append(node)
        self.stack.append(node)
        self.open_item = None

    def _add_item(self, i: int, marker: Marker | None) -> None:
        cur, line = self.stack[-1], self.lines[i]
        if marker is not None:
            cur.item_numbers[marker.kind] = marker.number
        if self.open_item is not None:
            text, first, last, indent = cur.items[self.open_item]
            # Continuation lines and deeper-indented sub-items belong to the open item.
            if marker is None or (line.indent > indent and _sub_item(marker, text)):
                cur.items[self.open_item] = (text, first, i, indent)
                return
        if marker is None:
            return
        cur.items.append((marker.text, i, i, line.indent))
        self.open_item = len(cur.items) - 1

    def _heading_like(self, i: int, m: Marker, cross: bool = False) -> bool:
        """A marked line is a heading when it is short, not a sentence, and has content below
        (`cross`: a hierarchical number, whose next heading of its own kind may begin at once)."""
        if not m.rest or len(m.rest) > _MAX_HEADING or m.rest.endswith(_SENTENCE_END):
            return False
        j = self._next_nonblank(i)
        if j is None:
            return False
        below = self.marks[j]
        return cross or below is None or below.weak or below.kind != m.kind

    def _sibling_of(self, m: Marker) -> _Node | None:
        for node in reversed(self.stack[1:]):
            if node.kind == m.kind and (m.number == node.number + 1 or node.number == 0 == m.number):
                return node
        return None

    def _new(self, m: Marker | None, i: int, title: str, kind: str | None = None) -> _Node:
        node = _Node(kind or (m.kind if m else "plain"), m.number if m else 0, m.text if m else "", title, i, 0)
        node.numbers = (*m.prefix, m.number) if m else ()
        return node

    # -- numbered plans --------------------------------------------------------------
    def parse_numbered(self) -> _Node:
        for i, line in enumerate(self.lines):
            if line.blank:
                self.open_item = None
                continue
            m = self.marks[i]
            cur = self.stack[-1]
            if m is not None and m.weak and self._sibling_of(m) is None:
                m = None  # a quantity such as "23億円", not a heading number
            if m is None:
                if self.open_item is not None:
                    self._add_item(i, None)
                continue
            if m.kind == "別紙":
                self._push(self._new(m, i, self._appendix_title(i, m)), self.root)
            elif m.kind in markers.BRACKETS:
                sibling = self._sibling_of(m)
                self._push(self._new(m, i, m.rest), self._parent(sibling) if sibling else cur)
            elif m.kind == "-" or cur.item_numbers.get(m.kind, -1) == m.number - 1 != -1:
                self._add_item(i, m)
            elif (parent := self._numbered_parent(m)) is not None and self._heading_like(i, m, cross=True):
                self._push(self._new(m, i, _title(m.rest)), parent)
            elif sibling := self._sibling_of(m):
                self._push(self._new(m, i, _title(m.rest)), self._parent(sibling))
            elif self._heading_like(i, m):
                self._push(self._new(m, i, _title(m.rest)), self._division_parent(m) or cur)
            else:
                self._add_item(i, m)
        return self.root

    def _numbered_parent(self, m: Marker) -> _Node | None:
        """Where a hierarchical number belongs: under the open section numbered by its prefix
        (2-1 under 2, 2-1-3 under 2-1), whatever is open below that."""
        if not m.prefix:
            return None
        for node in reversed(self.stack[1:]):
            if node.numbers == m.prefix and (node.kind == "1" or node.kind.startswith("1-1")):
                return node
        return None

    def _division_parent(self, m: Marker) -> _Node | None:
        """A major division's place: never inside a bracketed block or a division of its rank
        or below that precedes it; None for other kinds."""
        rank = _DIVISION_RANK.get(m.kind)
        if rank is None:
            return None
        for node in reversed(self.stack):
            if node.kind not in markers.BRACKETS and _DIVISION_RANK.get(node.kind, -2) < rank:
                return node
        return self.root

    def _parent(self, node: _Node) -> _Node:
        return self.stack[self.stack.index(node) - 1]

    def _appendix_title(self, i: int, m: Marker) -> str:
        """"別表(収容定員)" is titled by its parenthesis; a bare "別紙" by the short line below it."""
        if m.rest:
            return m.rest.strip("()（）")
        j = self._next_nonblank(i)
        if j is not None and self.marks[j] is None and len(self.lines[j].text) <= 60:
            return self.lines[j].text
        return ""

    # -- plans without numbering -----------------------------------------------------
    def parse_plain(self) -> _Node:
        blanks, block_title, block_has_heading = 2, None, False
        for i, line in enumerate(self.lines):
            if line.blank:
                blanks += 1
                self.open_item = None
                continue
            if blanks >= 2:  # a new block
                block_title, block_has_heading = None, False
            after_blank, blanks = blanks > 0, 0
            m = self.marks[i]
            top = self._latest_top()
            if m is not None and m.kind.endswith("N") and m.kind not in _SECTION_KINDS:  # series heading
                self._push(self._new(m, i, line.text), top or self.root)
                block_has_heading = True
            elif m is not None and m.kind == "-":
                self._add_item(i, m)
            elif after_blank and self._plain_heading(i):
                node = self._new(None, i, line.text)
                if block_title is not None:
                    self._push(node, block_title)
                else:
                    self._push(node, self.root)
                    j = self._next_nonblank(i)
                    if not block_has_heading and j is not None and self._is_heading_line(j):
                        block_title = node
                block_has_heading = True
            elif self.open_item is not None:
                self._add_item(i, None)
        return self.root

    def _latest_top(self) -> _Node | None:
        for node in reversed(self.stack):
            if node.level == 1 and node.kind == "plain":
                return node
        return None

    def _plain_heading(self, i: int) -> bool:
        text = self.lines[i].text
        return len(text) <= _MAX_PLAIN_HEADING and not text.endswith(_SENTENCE_END)

    def _is_heading_line(self, j: int) -> bool:
        m = self.marks[j]
        if m is not None:
            return m.kind.endswith("N") and m.kind not in _SECTION_KINDS
        return self.lines[j - 1].blank and self._plain_heading(j)


def _sub_item(marker: Marker, parent_marker: str) -> bool:
    """A deeper-indented marker starts a sub-item unless it merely repeats the parent's series
    (a list item printed one space further in is still a sibling)."""
    parent = markers.match(parent_marker + " x")
    return marker.kind == "-" or parent is None or marker.kind != parent.kind


def _title(rest: str) -> str:
    if rest.startswith("〔") and rest.endswith("〕"):
        return rest[1:-1]
    return rest


def is_numbered(lines: list[Line]) -> bool:
    """Whether the plan numbers its sections (else headings are found by layout)."""
    series = markers.series_words([ln.text for ln in lines])
    marks = (markers.match(ln.text, series) for ln in lines if not ln.blank)
    return sum(1 for m in marks if m is not None and m.kind in _SECTION_KINDS) >= 3


def parse_sections(document_id: str, text: str, header: set[int] | frozenset[int] = frozenset()) -> list[Section]:
    """The section tree of `text` in pre-order; text before the first heading is a section too,
    but for the `header` lines (0-based: the title block, `index.header`), which are metadata."""
    lines = [Line(ln.no, ln.start, ln.start, "") if k in header else ln for k, ln in enumerate(split_lines(text))]
    parser = _Parser(lines)
    root = parser.parse_numbered() if is_numbered(lines) else parser.parse_plain()
    _add_front_matter(root, lines)
    _close(root, lines, len(lines))
    sections: list[Section] = []
    _emit(root, lines, document_id, (), None, sections)
    _make_labels_unique(sections)
    return sections


def _add_front_matter(root: _Node, lines: list[Line]) -> None:
    """Text before the first heading (a cover page) becomes a section titled by its first paragraph."""
    first_heading = root.children[0].line if root.children else len(lines)
    body = [i for i in range(first_heading) if not lines[i].blank]
    if not body:
        return
    title_lines = []
    for i in range(body[0], first_heading):
        if lines[i].blank:
            break
        title_lines.append(lines[i].text)
    root.children.insert(0, _Node("front", 0, "", "".join(title_lines), body[0], 1))


def _close(node: _Node, lines: list[Line], stop: int) -> None:
    """Set each node's last own line: before its first child, or before the next section."""
    bounds = [c.line for c in node.children] + [stop]
    for k, child in enumerate(node.children):
        _close(child, lines, bounds[k + 1])
    if node.line >= 0:
        own_stop = node.children[0].line if node.children else stop
        last = own_stop - 1
        while last > node.line and lines[last].blank:
            last -= 1
        node.last_line = last


def _emit(
    node: _Node, lines: list[Line], doc_id: str, ordinals: tuple[int, ...], parent: Section | None, out: list[Section]
) -> int:
    """Append the sections of `node`'s subtree in pre-order; return the subtree's end offset."""
    section, end = None, 0
    if node.line >= 0:
        first, last = lines[node.line], lines[node.last_line]
        part = _label_part(node)
        section = Section(
            id=f"{doc_id}:{'.'.join(map(str, ordinals))}",
            document_id=doc_id,
            number=part if node.marker else "",
            title=node.title,
            label=_label(parent, part),
            parent_id=parent.id if parent else None,
            level=len(ordinals),
            numbered=(parent.numbered if parent else True) and node.kind not in ("plain", "front"),
            path=(*(parent.path if parent else ()), node.title or part),
            span=Span(first.start + first.indent, last.text_end, first.no, last.no),
            items=[_item(lines, it) for it in node.items],
        )
        out.append(section)
        if parent:
            parent.children.append(section.id)
        end = last.text_end
    for k, child in enumerate(node.children, start=1):
        end = max(end, _emit(child, lines, doc_id, (*ordinals, k), section, out))
    if section:
        section.end = end
    return end


def _label(parent: Section | None, part: str) -> str:
    """The markers of the path joined by "-"; a hierarchical number that holds its parent's
    (2-1 under 2) takes the parent's place: Ⅰ-2 → Ⅰ-2-1, not Ⅰ-2-2-1."""
    if parent is None:
        return part
    if parent.number and part.startswith(f"{parent.number}-") and parent.label.endswith(parent.number):
        return parent.label[: len(parent.label) - len(parent.number)] + part
    return f"{parent.label}-{part}"


def _label_part(node: _Node) -> str:
    if node.kind in ("plain", "front", *markers.BRACKETS):
        return node.marker if node.kind in markers.BRACKETS else node.title
    return markers.label_part(Marker(node.kind, node.number, node.marker, node.title))


def _item(lines: list[Line], item: tuple[str, int, int, int]) -> Item:
    marker, first, last, _ = item
    a, b = lines[first], lines[last]
    return Item(marker, Span(a.start + a.indent, b.text_end, a.no, b.no))


def _make_labels_unique(sections: list[Section]) -> None:
    seen: dict[str, int] = {}
    for s in sections:
        n = seen[s.label] = seen.get(s.label, 0) + 1
        if n > 1:
            s.label = f"{s.label}#{n}"

