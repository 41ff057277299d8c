"""A plan's header block: the title, institution, date and approval lines at its head.

Japanese plans open with a cover: the title (「国立大学法人〇〇大学 中期計画」, often wrapped
over two lines), an English title, the institution, dates (「令和4年3月30日」, 「変更 平成19年
3月30日」), the approving authority (「文部科学大臣認可」, 「理事会決定」) and the period. These are
the document's metadata, not its first section: read here, they title a plan no catalog
describes and name its institution, and the section parser skips them.

A run of such lines at the very top is a header only when it holds a title and another kind
of line, or two other kinds: a plan that opens with its first heading ("東北大学における国際
戦略の位置づけ") has no header.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from index import markers

_MAX_LINE = 60  # a header line is short
_DOC_KIND = r"(?:中長期計画|中期計画|中期目標|計画|目標|戦略|構想|ビジョン|方針|プラン|指針|宣言|Plan|Strategy|Vision)"
# A title may end with its year, a bracketed note, or a subtitle between dashes (「将来構想 ―ビジョン2030―」).
_TITLE = re.compile(rf"{_DOC_KIND}(?:\s*[0-9０-９]{{4}})?(?:\s*[(（][^()（）]{{1,30}}[)）]|\s*([―－—〜～~])[^―－—〜～~]{{1,30}}\1)?$")
_ERA = r"(?:令和|平成|昭和)\s*(?:元|[0-9０-９]{1,2})\s*年"
_DATE_BODY = rf"(?:{_ERA}|[0-9０-９]{{4}}\s*年)\s*(?:[0-9０-９]{{1,2}}\s*月(?:\s*[0-9０-９]{{1,2}}\s*日)?)?"
_ACT = r"(?:変更|改定|改訂|改正|策定|制定|決定|認可|承認|届出|提示)"
_DATE = re.compile(rf"^(?:{_ACT}\s*)?[(（]?{_DATE_BODY}[)）]?\s*(?:{_ACT}|版)?$")
_AUTHORITY = re.compile(rf"^\S{{0,16}}{_ACT}$")
_PERIOD = re.compile(rf"^(?:[(（])?(?:計画期間|期間)?[:：]?\s*(?:{_ERA}度?|[0-9０-９]{{4}}\s*年度?)\s*[〜～~\-－ー―から]+\s*(?:{_ERA}度?|[0-9０-９]{{1,4}}\s*年度?)(?:まで)?[)）]?$")
_CORPORATION = r"(?:国立大学法人|公立大学法人|学校法人|独立行政法人|大学共同利用機関法人)"
_SCHOOL = r"(?:大学校|大学|学園|高等専門学校|学院)"
_INSTITUTION = re.compile(rf"{_CORPORATION}?\s*[^\s、。・の「」()（）]{{1,20}}?{_SCHOOL}|{_CORPORATION}\s*[^\s、。・の「」()（）]{{2,20}}")
# A header line that is the institution alone may hold の (お茶の水女子大学); in running text の
# ends a name (「本学の大学院」), so `institution_in` stops at it.
_INSTITUTION_LINE = re.compile(rf"{_CORPORATION}?\s*[^\s、。・「」()（）]{{1,20}}?{_SCHOOL}|{_CORPORATION}\s*[^\s、。・「」()（）]{{2,20}}")
_ENGLISH = re.compile(r"^[A-Za-z][A-Za-z0-9 ,.'’&()\-–:]+$")


@dataclass
class Header:
    """What the head of a plan says of it; `lines` are the 0-based indexes of its lines."""

    title: str = ""
    title_en: str = ""
    institution: str = ""
    dates: list[str] = field(default_factory=list)
    authority: str = ""
    period: str = ""
    lines: set[int] = field(default_factory=set)

    def as_meta(self) -> dict[str, object]:
        return {"header_title": self.title, "header_title_en": self.title_en, "institution": self.institution,
                "dates": self.dates, "authority": self.authority, "period": self.period}


def _kind(text: str) -> str | None:
    """Which kind of header line `text` is, if any."""
    plain = unicodedata.normalize("NFKC", text).strip()
    if not plain or len(plain) > _MAX_LINE or plain.endswith(("。", "、")) or markers.match(text.strip()):
        return None  # a sentence, or a numbered or bracketed heading (「（前文）大学の基本的な目標」)
    if _DATE.match(plain):
        return "date"
    if _PERIOD.match(plain):
        return "period"
    if _ENGLISH.match(plain) and len(plain.split()) >= 2:
        return "title_en"
    if _AUTHORITY.match(plain):
        return "authority"
    if _TITLE.search(plain):
        return "title"
    if (m := _INSTITUTION_LINE.fullmatch(plain.replace("\u3000", " "))) and m.group(0):
        return "institution"
    return None


def read_header(lines: list[str]) -> Header:
    """The header block at the top of `lines` (the document's lines), or an empty Header."""
    header, kinds = Header(), set()
    i, n = 0, len(lines)
    while i < n:
        text = lines[i].strip(" \t\u3000")
        if not text:
            i += 1
            continue
        kind = _kind(text)
        joined = i + 1 < n and _wrapped_title(text, lines[i + 1].strip(" \t\u3000"))
        if joined:
            kind, text = "title", text + lines[i + 1].strip(" \t\u3000")
        if kind is None:
            break
        taken = {i, i + 1} if joined else {i}
        _take(header, kind, text)
        kinds.add(kind)
        header.lines |= taken
        i = max(taken) + 1
    others = kinds - {"title"}
    if not (("title" in kinds and others) or len(others) >= 2):
        return Header()
    if not header.institution:
        header.institution = institution_in(header.title)
    return header


def _wrapped_title(first: str, second: str) -> bool:
    """A title printed over two lines (「…中期目標を」「達成するための計画(中期計画)」)."""
    return (bool(first) and bool(second) and _kind(first) is None and _kind(second) == "title"
            and len(first) + len(second) <= 2 * _MAX_LINE and not first.endswith(("。", "、")))


def _take(header: Header, kind: str, text: str) -> None:
    text = re.sub(r"[ \u3000]+", " ", text).strip()
    if kind == "title" and not header.title:
        header.title = text
    elif kind == "title_en" and not header.title_en:
        header.title_en = text
    elif kind == "institution" and not header.institution:
        header.institution = text
    elif kind == "date":
        header.dates.append(text)
    elif kind == "authority" and not header.authority:
        header.authority = text
    elif kind == "period" and not header.period:
        header.period = text.strip("()（）")


def institution_in(text: str) -> str:
    """The institution a title names (「国立大学法人北海道大学 中期計画」 → 国立大学法人北海道大学)."""
    m = _INSTITUTION.search(unicodedata.normalize("NFKC", text))
    return re.sub(r"\s+", "", m.group(0)) if m else ""


def institution_names(institution: str, abbreviate: bool = True) -> tuple[str, ...]:
    """What people call an institution besides its full name: without the corporation
    (北海道大学), and the general Japanese short forms of 〇〇大学: 〇〇大 (北海道大, 東北大) and,
    for a name in kanji, its first kanji and 大 (北大, 九大, 広大; `abbreviate`). That last form
    is a guess (東北大学 is not 東大): made only where the catalog gives no aliases. A
    two-character name is only matched where no kanji precedes it (`assistant.question.named_plans`), so
    北大 is not read in 東北大."""
    name = re.sub(rf"^{_CORPORATION}\s*", "", institution.strip())
    out = [institution.strip(), name]
    if name.endswith("大学") and len(name) > 3:
        stem = name[:-2]
        out.append(name[:-1])
        if abbreviate and re.fullmatch(r"[\u4e00-\u9fff]{2,}", stem) and stem[0] != "大":
            out.append(stem[0] + "大")
    return tuple(dict.fromkeys(n for n in out if len(n) >= 2))
