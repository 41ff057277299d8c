"""Conservative repair of PDF-extraction damage, every change counted.

The worst damage: Shift_JIS row 13 (NEC special characters, lead byte 0x87) lost its lead
byte, leaving the trail byte as ASCII: Ⅰ..Ⅹ became ``T..]``, ①..⑳ became ``@..S`` and ㎡
became ``u``. Real Latin letters occur too (formulas such as ``A(y)=D(y)+E(y)``, acronyms
such as GPA), so a letter is repaired only where its context says it was a marker. The
row-13 repairs run only on a document that shows the damage signature at all.

Repairs keep the line structure (page furniture is blanked, not deleted) so that line
numbers of the repaired text are those of the file.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from index.document import Repair

_CJK = r"\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff01-\uff9f「『〔【"


def _row13(ch: str) -> str:
    """The character whose cp932 lead byte 0x87 was lost, leaving `ch`."""
    return bytes([0x87, ord(ch)]).decode("cp932")


# Ⅰ..Ⅹ: a heading marker at the start of a line, then Japanese text. ``[ \ ]`` also occur as
# real brackets ("[人件費の見積り]", "[注]"), so for them a space must follow.
_ROMAN = re.compile(rf"(?m)^([ \t]*)(?:([T-Z])(?=[ \u3000]*[{_CJK}])|([\[\\\]])(?=[ \u3000]+[{_CJK}]))")
# ①..⑳ standing alone before Japanese text: "@教養教育", " A 教育研究の", ",A環境の".
_CIRCLED = re.compile(
    rf"(?m)(?:^[ \t]*|(?<=[,、・{_CJK}]))([@A-S])(?=[{_CJK}]|[ \u3000]+[{_CJK}])"
)
# ..or in a parenthesised list of such references: "(@)", "(A,F)", "(B・G)".
_CIRCLED_GROUP = re.compile(r"\(([@A-S](?:[,・][@A-S])*)\)(?![=(])")
_SQUARE_METRE = re.compile(r"(?<=\d)u(?![A-Za-z])")
# Page numbers the extraction left on their own line: "- 12 -", "－12－", "12 / 30".
_PAGE_FURNITURE = re.compile(r"(?m)^[ \t\u3000]*(?:[-‐－―–—][ \t]*\d{1,4}[ \t]*[-‐－―–—]|\d{1,4}[ \t]*/[ \t]*\d{1,4})[ \t\u3000]*$")
# Kangxi radicals and CJK compatibility ideographs that look like ordinary kanji.
_LOOKALIKE = re.compile(r"[\u2e80-\u2ef3\u2f00-\u2fd5\uf900-\ufad9]")


@dataclass(frozen=True)
class Repaired:
    text: str
    repairs: list[Repair]

    def counts(self) -> Counter[str]:
        return Counter(r.kind for r in self.repairs)


def has_row13_damage(text: str) -> bool:
    """True when line-initial markers show the lost lead byte (two Roman headings or a ①)."""
    romans = sum(1 for m in _ROMAN.finditer(text) if m.group(2))
    circled = len(re.findall(rf"(?m)^[ \t]*@(?=[{_CJK}])", text))
    return romans >= 2 or circled >= 1


def repair(text: str) -> Repaired:
    """Return the repaired text and the list of repairs made, in text order."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    edits: dict[int, tuple[str, str]] = {}  # offset -> (kind, replacement char)
    if has_row13_damage(text):
        for m in _ROMAN.finditer(text):
            group = 2 if m.group(2) else 3
            edits[m.start(group)] = ("roman-numeral", _row13(m.group(group)))
        for m in _CIRCLED.finditer(text):
            edits.setdefault(m.start(1), ("circled-number", _row13(m.group(1))))
        for m in _CIRCLED_GROUP.finditer(text):
            for i in range(m.start(1), m.end(1)):
                if text[i] not in ",・":
                    edits.setdefault(i, ("circled-number", _row13(text[i])))
        for m in _SQUARE_METRE.finditer(text):
            edits[m.start()] = ("square-metre", _row13("u"))
    for m in _LOOKALIKE.finditer(text):
        edits[m.start()] = ("kangxi-radical", unicodedata.normalize("NFKC", m.group()))

    chars = list(text)
    repairs: list[Repair] = []
    for offset in sorted(edits):
        kind, after = edits[offset]
        repairs.append(Repair(kind, text.count("\n", 0, offset) + 1, chars[offset], after))
        chars[offset] = after
    repaired = "".join(chars)

    def blank(m: re.Match[str]) -> str:
        repairs.append(Repair("page-furniture", repaired.count("\n", 0, m.start()) + 1, m.group().strip(), ""))
        return ""

    repaired = _PAGE_FURNITURE.sub(blank, repaired.replace("\f", ""))
    repairs.sort(key=lambda r: r.line)
    return Repaired(repaired, repairs)
