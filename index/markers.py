"""Recognising the numbering markers that plans put at the start of a line.

A marker's *kind* is its printed form with the number abstracted ("(1)", "1)", "①", …), so
the parser can infer the hierarchy from the order in which kinds appear rather than from a
fixed list of levels: plans differ in which kinds they use and in what order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
_CIRCLED = "".join(chr(c) for c in range(0x2460, 0x2474))  # ①..⑳
_KATAKANA = "アイウエオカキクケコサシスセソタチツテト"
_DIGITS = "0-9０-９"
# After a bare number, these make it a quantity ("23億円", "15件以上"), not a heading number.
_COUNTERS_RE = re.compile("[" + re.escape("億万千百円人件名年月日度回倍時分歳校%％,，") + "]")


@dataclass(frozen=True)
class Marker:
    kind: str  # "Ⅰ", "1", "(1)", "1)", "①", "(①)", "1.", "a.", "ア", "(ア)", "第N章", "第N", "1-1", "【】", "（）", "別紙", "ターゲットN"
    number: int  # position in its series (1-based); 0 for unnumbered kinds
    text: str  # the marker as printed, e.g. "(1)" or "ターゲット1"
    rest: str  # what follows the marker on the line, stripped
    weak: bool = False  # a bare number followed by a counter ("2人事…" or "2,840人"): a marker only in context
    prefix: tuple[int, ...] = ()  # a hierarchical number's parents: (2, 1) for "2-1-3"


def _num(s: str) -> int:
    return int(s.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


# A series heading: a word and its number, as a plan's own repeated headings name them (プロセス1,
# ターゲット2, 目標3, 重点戦略1). Which words are series is read from each document (`series_words`).
_SERIES_WORD = r"[\u30a0-\u30ff\u4e00-\u9fff]{2,8}"
_SERIES = re.compile(rf"({_SERIES_WORD})\s*([{_DIGITS}]+)(?=[.．:：、\s]|$)")

_PATTERNS: list[tuple[str, re.Pattern[str], object]] = [
    ("別紙", re.compile(r"(別表|別紙|付録|附録|参考資料)([0-9０-９]*)(?=$|[\s(（【〔])"), None),
    # 第1章, 第2節, and a bare 第1 when a space follows it (not 第4期, 第2回)
    ("第N", re.compile(rf"(第([{_DIGITS}一二三四五六七八九十]+)(?:([章節部編款条])|(?=[ \u3000])))"), None),
    ("Ⅰ", re.compile(rf"([{_ROMAN}])(?=[\s\u3000〔【「]|[^\x00-\x7f])"), lambda m: _ROMAN.index(m.group(1)) + 1),
    ("(①)", re.compile(rf"([(（]([{_CIRCLED}])[)）])"), lambda m: _CIRCLED.index(m.group(2)) + 1),
    ("①", re.compile(rf"([{_CIRCLED}])"), lambda m: _CIRCLED.index(m.group(1)) + 1),
    ("(ア)", re.compile(rf"([(（]([{_KATAKANA}])[)）])"), lambda m: _KATAKANA.index(m.group(2)) + 1),
    ("(1)", re.compile(rf"([(（]([{_DIGITS}]{{1,2}})[)）])"), lambda m: _num(m.group(2))),
    # hierarchical numbers: 1-1, 2-3-1 (the kind says the depth: "1-1", "1-1-1")
    ("1-1", re.compile(rf"(([{_DIGITS}]{{1,2}}(?:[-－‐][{_DIGITS}]{{1,2}})+)[.．]?)(?=[ \u3000]|[^\s{_DIGITS}\x00-\x7f])"), None),
    ("1)", re.compile(rf"(([{_DIGITS}]{{1,2}})[)）])"), lambda m: _num(m.group(2))),
    ("1.", re.compile(rf"(([{_DIGITS}]{{1,2}})[.．])(?![{_DIGITS}])"), lambda m: _num(m.group(2))),
    ("1", re.compile(rf"(([{_DIGITS}]{{1,2}}))(?=[ \u3000]*[^\s{_DIGITS}\x00-\x7f]|[,，])"), lambda m: _num(m.group(2))),
    ("a.", re.compile(r"(([a-h])[.．])(?=[ \u3000])"), lambda m: ord(m.group(2)) - ord("a") + 1),
    ("ア", re.compile(rf"(([{_KATAKANA}])(?:[.．、]|(?=[ \u3000])))"), lambda m: _KATAKANA.index(m.group(2)) + 1),
    ("series", re.compile(rf"(({_SERIES_WORD})\s*([{_DIGITS}]+))(?=[.．:：、\s]|$)"), None),
    ("【】", re.compile(r"(【([^】]+)】)"), None),
    ("〔〕", re.compile(r"(〔([^〕]+)〕)"), None),
    # a block named in parentheses: （前文）, （基本方針）; never a note, unit or count: (注1), (単位:百万円)
    ("（）", re.compile(r"([(（]([\u3040-\u30ff\u4e00-\u9fff]{2,10})[)）])"), None),
    ("-", re.compile(r"(-(?=[ \u3000])|[・•●○◎■◆◇□※▪])"), None),
]
BRACKETS = ("【】", "〔〕", "（）")
_MAX_BRACKET_REST = 30  # a bracketed heading may name its block after it: 「（前文）大学の基本的な目標」


def series_words(lines: list[str]) -> frozenset[str]:
    """The words a document numbers its headings with: a word that starts lines followed by at
    least two different numbers, 1 among them (ターゲット1 … ターゲット4), not a word of the
    text that happens to precede a number."""
    numbers: dict[str, set[int]] = {}
    for line in lines:
        m = _SERIES.match(line.strip(" \t\u3000"))
        if m:
            numbers.setdefault(m.group(1), set()).add(_num(m.group(2)))
    return frozenset(word for word, seen in numbers.items() if 1 in seen and len(seen) >= 2)


def match(line: str, series: frozenset[str] = frozenset()) -> Marker | None:
    """The marker at the start of `line` (indentation already stripped), if any; `series`: the
    document's series words (`series_words`)."""
    for kind, pattern, number in _PATTERNS:
        m = pattern.match(line)
        if not m or (kind == "series" and m.group(2) not in series):
            continue
        text = m.group(1)
        rest = line[m.end() :].lstrip(" \u3000.．:：、")
        if kind == "別紙":
            return Marker(kind, 0, m.group(0), line[m.end() :].strip())
        if kind == "第N":
            return Marker("第N" + (m.group(3) or ""), _kanji_number(m.group(2)), text, rest)
        if kind == "series":
            return Marker(m.group(2) + "N", _num(m.group(3)), text, rest)
        if kind in BRACKETS:
            after = line[m.end() :].strip(" \u3000")
            if not after:
                return Marker(kind, 0, text, m.group(2).strip())
            if len(after) <= _MAX_BRACKET_REST and not re.search(rf"[{_DIGITS}。]", after):
                return Marker(kind, 0, text, after)  # titled by what it names: （前文）大学の基本的な目標
            if kind == "（）":
                continue  # a parenthesis opening a sentence: 「(参考) 人件費総額見込み 66,073百万円」
            return Marker("-", 0, text, after)  # 「【1】…する。」: an item marked by its bracket
        if kind == "1-1":
            parts = [_num(p) for p in re.split("[-－‐]", m.group(2))]
            weak = re.match(_COUNTERS_RE, line[m.end() :]) is not None
            return Marker("1" + "-1" * (len(parts) - 1), parts[-1], m.group(2), rest, weak, tuple(parts[:-1]))
        if kind == "-":
            return Marker(kind, 0, text, rest)
        weak = kind == "1" and re.match(_COUNTERS_RE, line[m.end() :]) is not None
        return Marker(kind, number(m), text, rest, weak)  # type: ignore[operator]
    return None


def _kanji_number(s: str) -> int:
    if s[0] in _DIGITS or s[0].isdigit():
        return _num(s)
    digits = "一二三四五六七八九"
    if s == "十":
        return 10
    if "十" in s:
        tens, _, ones = s.partition("十")
        return (digits.index(tens) + 1 if tens else 1) * 10 + (digits.index(ones) + 1 if ones else 0)
    return digits.index(s) + 1 if s in digits else 0


def label_part(marker: Marker) -> str:
    """How the marker reads in a section label: "1." and "a." lose their dot."""
    if marker.kind in ("1.", "a.", "ア") or marker.kind.startswith("1-1"):
        return marker.text.rstrip(".．、")
    return marker.text
