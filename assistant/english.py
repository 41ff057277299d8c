"""What an English reader is told of a Japanese plan: values, dates and section titles in English.

The plan's words stay the evidence (quoted in Japanese); the sentence around them is English:
平成30年度 → FY2018, 令和4年3月31日 → 31 March 2022, 53,301百万円 → ¥53,301 million, 23億円 →
¥2.3 billion, 60%程度 → about 60%, 15件以上 → 15 or more. A section's title is glossed term by
term from the glossary (the curated one over JMdict's), in the title's order: a gloss, not a
translation, since no translation model runs here.
"""

from __future__ import annotations

import re
import unicodedata

from index.glossary import Glossary

# The first year of each era, less one: 平成1年 is 1989.
_ERAS = {"明治": 1867, "大正": 1911, "昭和": 1925, "平成": 1988, "令和": 2018}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_YEAR = r"(?P<era>明治|大正|昭和|平成|令和)?\s*(?P<year>[0-9]{1,4}|元)\s*年(?P<fiscal>度)?(?:\s*(?P<month>[0-9]{1,2})\s*月(?:\s*(?P<day>[0-9]{1,2})\s*日)?)?"
_SCALE = {"兆円": 1e12, "億円": 1e8, "千万円": 1e7, "百万円": 1e6, "万円": 1e4, "千円": 1e3, "円": 1}
_COUNTERS = {"人": "people", "名": "people", "件": "", "校": "schools", "か国": "countries", "カ国": "countries",
             "ヶ国": "countries", "機関": "institutions", "回": "times", "倍": "times", "%": "%", "割": ""}
_QUALIFIERS = {"程度": "about {}", "前後": "about {}", "余り": "over {}", "以上": "{} or more", "超": "over {}",
               "以下": "{} or less", "未満": "under {}", "まで": "up to {}", "以内": "within {}"}
_UNITS = "|".join(sorted([*_SCALE, *_COUNTERS], key=len, reverse=True))
# One pass, so that what is written in English is not read again: a date, or a number with its unit
# (yen, a counter, a share) and what the plan says of it (程度, 以上).
_VALUE = re.compile(rf"{_YEAR}|(?P<minus>[△▲]?)(?P<number>[0-9][0-9,]*(?:\.[0-9]+)?)\s*(?P<unit>{_UNITS})"
                    rf"(?P<qualifier>{'|'.join(_QUALIFIERS)})?")


def in_english(text: str) -> str:
    """`text` with its dates, yen amounts, counts and qualified values in English (the rest as it is).
    A year of two digits after an era's year is of that era (平成16年度〜21年度: FY2004 to FY2009)."""
    era: list[str] = []

    def value(m: re.Match[str]) -> str:
        if not m.group("year"):
            return _value(m)
        if m.group("era"):
            era[:] = [m.group("era")]
        return _date(m, m.group("era") or (era[0] if era and len(m.group("year")) <= 2 else None))

    return _VALUE.sub(value, unicodedata.normalize("NFKC", text))


def _value(m: re.Match[str]) -> str:
    minus, number, unit, qualifier = m.group("minus", "number", "unit", "qualifier")
    sign = "−" if minus else ""
    if unit in _SCALE:
        said = sign + _yen(number, unit)
    elif unit == "割":
        said = f"{sign}{number}0%"
    else:
        said = f"{sign}{number}{unit if unit == '%' else ' ' + _COUNTERS[unit]}".strip()
    return _QUALIFIERS[qualifier].format(said) if qualifier else said


def _date(m: re.Match[str], era: str | None) -> str:
    number, fiscal, month, day = m.group("year", "fiscal", "month", "day")
    if number == "元" and not era:
        return m.group(0)
    year = (1 if number == "元" else int(number)) + (_ERAS[era] if era else 0)
    if month and 1 <= int(month) <= 12:
        date = f"{_MONTHS[int(month) - 1]} {year}"
        return f"{int(day)} {date}" if day else date
    return f"FY{year}" if fiscal else str(year)


def _yen(digits: str, unit: str) -> str:
    if unit in ("百万円", "千円", "円"):  # the figure as printed, in the unit English uses for it
        return f"¥{digits}{ {'百万円': ' million', '千円': ' thousand', '円': ''}[unit] }"
    amount = float(digits.replace(",", "")) * _SCALE[unit]
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if amount >= size:
            return f"¥{amount / size:,.10g} {word}"
    return f"¥{amount:,.0f}"


def title_gloss(title: str, glossary: Glossary) -> str:
    """A section title's terms in English, in the title's order: 「生活相談・就職支援等に関する具体的
    方策」 → "life counseling, career support"; "" when the glossary knows none of them."""
    entries = glossary.gloss(title)
    ordered = sorted(entries, key=lambda e: unicodedata.normalize("NFKC", title).find(unicodedata.normalize("NFKC", e.ja)))
    return ", ".join(dict.fromkeys(e.gloss for e in ordered))


def section_in_english(heading: str, title: str, glossary: Glossary) -> str:
    """A section as an English reader is told of it: its heading, its title glossed."""
    gloss = title_gloss(title, glossary)
    return f"{heading} ({gloss})" if gloss else heading
