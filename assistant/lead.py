"""The lead: an answer's first sentence, holding what the question asks for.

A question about a number or a time is led by the value, said of what the question names (「短期借入金の
限度額は23億円です [1]」), any other by the best sentence's own words; a question about a place is answered
only by a sentence naming one. In English, where it was found and the value in English (`assistant.english`),
the plan's words as evidence.
"""

from __future__ import annotations

import re

from assistant.asking import COUNTERS, counter_forms
from assistant.concepts import Wanted, passage_words
from assistant.english import in_english, title_gloss
from assistant.quotes import Sentence, flat
from index.analyze import proper_nouns
from index.glossary import Glossary

_DIGITS = r"[△▲]?[0-9０-９](?:[0-9０-９,，.．]*[0-9０-９])?"  # not ending in a dot: 「1. 専攻」 is an item
_MONEY = r"億円|百万円|千円|万円|円"
_MEASURES = _MONEY + r"|％|%|u|㎡"
_QUALIFIER = re.compile(r"程度|以上|以下|未満|前後|超|余り|弱|強|まで")


def _valued(units: str, after: str = "") -> re.Pattern[str]:
    """A number in one of `units`: right after it, or after a space when no word goes on from the
    unit but a qualifier (a table's 「644,402 人件費の見積り」 is no count of people; 「15 件以上」 is)."""
    return re.compile(_DIGITS + r"(?:(?:" + units + r")|\s+(?:" + units + r")(?!(?!" + _QUALIFIER.pattern + r")[一-龥々]))" + after)


NUMBER = _valued(_MEASURES + "|" + COUNTERS)
# "How much" is answered by an amount (money, a share, an area), not a count of things: 「年間の授業料は
# いくら？」 is not answered by 「年間30件以上の特許の出願」; 「何件」 and "how many" count.
AMOUNT = _valued(_MEASURES + r"|倍|割")
# A table heading that gives the unit of its numbers (「予定額(百万円)」), and a number with no unit of
# its own below it (「小規模改修 総額282」: 282百万円; not 「(282)」, a year or a share).
_UNIT_HEADING = re.compile(r"[(（](?:単位\s*[:：]?\s*)?(" + _MONEY + r")[)）]")
_BARE_NUMBER = re.compile(r"(?<![0-9０-９,，.．(（△▲])[△▲]?[0-9０-９](?:[0-9０-９,，]*[0-9０-９])?(?![0-9０-９,，.．)）年月度%％])")
# A time, as a question about one wants it given.
DATE = re.compile(r"(?:平成|令和|昭和)\s*[0-9０-９元]+\s*年度?|[0-9０-９]{4}\s*年度?|[0-9０-９]+\s*月")
COUNTRIES = re.compile(r"国|countr", re.IGNORECASE)
# Where a clause ends: punctuation, not 644,402's comma; not a line break, as the plans' lines wrap mid-sentence.
_CLAUSE_BREAK = re.compile(r"[、。；;・]|(?<![0-9０-９])[,，]|[,，](?![0-9０-９]{3})")
_COLUMN_GAP = re.compile(r"(?<=\S)[ \t\u3000]{2,}(?=\S)")  # a table's row as text: 「外国人留学生数    2,480人    4,000人」
MAX_SUBJECT_CHARS = 40  # a longer text before a value is a sentence, not the name of the value
MAX_REST_CHARS = 5  # a line that names its value ends with it, or with 「とする。」
MAX_CLAUSE_CHARS = 70
CAPTION_SHARE = 1 / 3  # a table leads a question asking no value when its title holds this much of it
MAX_GIST_CHARS = 90  # a lead quoting more is a paragraph, not a lead
# 「1件当たり」「1人につき」: the number a rate is counted per, not a count.
_PER = r"(?!\s*(?:当たり|あたり|につき|ごと))"


def counted(counter: str) -> re.Pattern[str]:
    """A number of what `counter` counts (何人 → 300人以上 or 40名, not 40歳 beside them)."""
    return _valued("|".join(map(re.escape, counter_forms(counter))), _PER)


# An item's number or mark (「1. 」「(2)」「3-2-2 」「①」「・」, or glued to its title: 「1短期借入金の限度額」); not
# a number that counts or measures (「2030年度までに…」, 「40歳未満の…」).
_LEADING_MARKER = re.compile(r"^(?:[\s.．)）(（①-⑳・\-]|[a-zA-Zａ-ｚ]+(?=[\s.．)）\-])|[0-9０-９]+(?![0-9０-９,，]|\s*(?:"
                             + _MEASURES + "|" + COUNTERS + r"|年|月|度|万|億|千|百)))*")


def names_another(text: str, countries: bool, known: frozenset[str]) -> bool:
    """Whether `text` names a place or an institution besides the `known` ones (those the question
    and the plans' titles name): not part of one (横浜国立大学 in 国立大学法人横浜国立大学) nor holding
    one (東北大学海外ネットワーク)."""
    return any(not any(name in k or k in name for k in known) for name in proper_nouns(text, countries))


def write_lead(language: str, value: re.Pattern[str] | None, best: Sentence, marker: int, wanted: Wanted,
               where: str, glossary: Glossary) -> str | None:
    """For a question about a number or a time (`value`), the value first: 「短期借入金の限度額は
    23億円です [1]」; from a sentence, the value said of what the question asks, with the words it
    is said in. In English, `where` it was found and the value in English, the plan's words as evidence."""
    if value is None and not (best.rows and wanted.coverage(passage_words(best.caption)) >= CAPTION_SHARE):
        # any question but one about a table its title names (「予算の収入は？」: the 予算 table's 収入 rows)
        return None if best.rows else gist(language, best, marker, wanted, where)
    if best.rows:
        if not best.matched_rows or value is DATE:  # a table's rows give amounts, not times
            return None
        if language == "en":
            listed = "; ".join(r + (f" ({_in_english(v)})" if re.search(r"\d", v := r.rsplit(":", 1)[-1]) else "")
                               for r in best.matched_rows)
            return f"{where[0].upper()}{where[1:]} gives, in its table {_in_english(best.caption)}: {listed} [{marker}]."
        return f"{best.caption}の表では {'; '.join(best.matched_rows)} です [{marker}]。"
    text = best.text
    # Each number with its clause; the one whose clause holds most of the question is the answer
    # (in 「年間30件以上の特許の出願・年間15件以上の特許の取得目標値」, 15件 is the patents obtained).
    said = [(wanted.coverage(passage_words(clause)), start, end, amount, clause) for start, end, amount, clause in _values(text, value)]
    if not said:
        return None
    _, start, end, amount, clause = max(said, key=lambda s: s[0])  # the first of equals
    if value is DATE and (stop := next((m.start() for m in _CLAUSE_BREAK.finditer(text, end)), len(text))) < len(text):
        clause = _clause(text, start, stop + 1)  # 「平成18年度から,」 says when; the clause after it, what
    line_start = text.rfind("\n", 0, start) + 1
    subject = text[line_start:start].strip() or text[:line_start].strip().rsplit("\n", 1)[-1]
    subject = _LEADING_MARKER.sub("", subject).strip(" 　:：,、。")
    line_end = text.find("\n", end)
    rest = text[end : line_end if line_end >= 0 else len(text)].strip()
    if len(rest) <= MAX_REST_CHARS and 0 < len(subject) <= MAX_SUBJECT_CHARS and not _CLAUSE_BREAK.search(subject):
        # a line that names its value: 「1短期借入金の限度額 23億円」, 「α(アルファ) :効率化係数。△1%とする。」
        if language == "en":
            if subject in where:  # the section's title names the value: 「Ⅶ-1 短期借入金の限度額」
                return f"{where[0].upper()}{where[1:]} gives {_in_english(amount)} ({amount}) [{marker}]."
            gloss = title_gloss(subject, glossary)
            return f"In {where}, {subject}{f' ({gloss})' if gloss else ''} is {_in_english(amount)} ({amount}) [{marker}]."
        return f"{subject}は{amount}です [{marker}]。"
    # else the value in the plan's words, not a sentence made of them; an item's number (「4. 」) dropped
    marker_end = _LEADING_MARKER.match(clause).end()
    quoted = f"「{flat(clause[marker_end if marker_end <= clause.find(text[start:end].strip()) else 0:])}」"
    return f"In {where}, the plan gives {_in_english(amount)}: {quoted} [{marker}]." if language == "en" else f"{amount}：{quoted} [{marker}]。"


def gist(language: str, best: Sentence, marker: int, wanted: Wanted, where: str) -> str | None:
    """For any other question, the words of the best sentence that hold most of it, first: the
    sentence when it is short, else its clauses around the one holding most of the question."""
    if best.rows:
        return None
    text = gist_text(best)
    if len(text) > MAX_GIST_CHARS:
        clauses = [(m.start(), m.end()) for m in re.finditer(r"[^、,，。；;]+[、,，。；;]?", text)]
        at = max(range(len(clauses)), key=lambda i: wanted.coverage(passage_words(text[slice(*clauses[i])])))
        first = last = at
        while True:  # widen by a clause either side while the lead fits
            if last + 1 < len(clauses) and clauses[last + 1][1] - clauses[first][0] <= MAX_GIST_CHARS:
                last += 1
            elif first > 0 and clauses[last][1] - clauses[first - 1][0] <= MAX_GIST_CHARS:
                first -= 1
            else:
                break
        start, end = clauses[first][0], clauses[last][1]
        text = "…" * (start > 0) + text[start:end].rstrip("、,，") + "…" * (end < len(text))
    return (f"{where[0].upper()}{where[1:]} says: 「{text}」 [{marker}]" if language == "en"
            else f"計画では「{text}」とされています [{marker}]。")


def gist_text(best: Sentence) -> str:
    """The best sentence as a lead quotes it: on one line, without an item's number (「1. 」)."""
    text = flat(best.text)
    return text[_LEADING_MARKER.match(text).end():] or text


def gives(text: str, value: re.Pattern[str], wanted: Wanted) -> bool:
    """Whether `text` gives a value of the kind asked, said of something the question names: in
    its clause, the one before (「効率化係数。△1%とする。」) or what follows (「平成18年度から,…
    リスニングテストを全学部で実施する」), where the year in 「…研究成果を創出して、平和で公正な人類
    社会の発展に貢献する2030年に向けたビジョン」 does not say when the strategy was made. For a time
    only: for a number it also refuses wrong values (an English question on the budgeted operating
    grant led with 効率化係数 △1%), which the evaluation counts as answerable questions refused."""
    values = _values(text, value)
    if value is not DATE:  # a number, measured: see eval/README.md
        return bool(values)
    return any(wanted.coverage(passage_words(text[_clause_start(text, max(0, _clause_start(text, start) - 1)):]))
               for start, *_ in values)


def _values(text: str, value: re.Pattern[str]) -> list[tuple[int, int, str, str]]:
    """The values of the kind `value` that `text` gives: where each is, the value as read, and the
    words it is said in. A bare number under a heading giving its unit is read in that unit, and
    said in its row (「小規模改修 総額282 …」 → 282百万円)."""
    found = [(m.start(), m.end(), m.group(0).strip() + _qualifier(text, m.end()), _clause(text, m.start(), m.end()))
             for m in value.finditer(text)]
    heading = _UNIT_HEADING.search(text) if value is not DATE else None
    if heading:
        found += [(m.start(), m.end(), m.group(0) + heading.group(1), _line(text, m.start()))
                  for m in _BARE_NUMBER.finditer(text, heading.end()) if not any(a < m.end() and m.start() < b for a, b, _, _ in found)]
        found.sort()
    return found


def _qualifier(text: str, at: int) -> str:
    """What the plan says of the value right after it: 60%程度, 15件以上."""
    m = _QUALIFIER.match(text, at)
    return m.group(0) if m else ""


def _line(text: str, at: int) -> str:
    end = text.find("\n", at)
    return text[text.rfind("\n", 0, at) + 1 : end if end >= 0 else len(text)].strip()


def _clause_start(text: str, at: int) -> int:
    return max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, at)), default=0)


def _clause(text: str, start: int, end: int) -> str:
    """The clause of `text` around the span start:end, between punctuation, at most MAX_CLAUSE_CHARS;
    a table's row, when the value is in one: its row's name is what it is said of."""
    if _COLUMN_GAP.search(line := _line(text, start)):
        return line
    before = _clause_start(text, start)
    after = next((m.start() for m in _CLAUSE_BREAK.finditer(text, end)), len(text))
    clause_start = max(before, start - MAX_CLAUSE_CHARS // 2)
    clause_end = min(after, clause_start + MAX_CLAUSE_CHARS)
    return "…" * (clause_start > before) + text[clause_start:clause_end].strip() + "…" * (clause_end < after)


def _in_english(value: str) -> str:
    """A value as an English reader reads it: 23億円 → ¥2.3 billion, 平成21年度 → FY2009."""
    return in_english(value.strip())
