"""The offline answerer: the plans' own sentences that answer the question, cited.

No model is needed. The retrieved sections are cut into sentences (a plan item stays
whole; a table gives its rebuilt rows), each sentence is scored by how much of the
question's meaning it and its section's titles contain (the question's terms weighted by
their idf in the plans, an English question's terms through the glossary), and the best
sentences are quoted, grouped by section, each with its marker: the best section's at
length, so that a question about a section is answered by its items, others briefly. When
no sentence holds enough of the question, the answer says the plans do not answer it and
names the nearest sections instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.asking import COUNTERS, asking, asks_total
from assistant.citation import Answer, Citation, cite, cite_chunk
from assistant.concepts import Lexicon, Wanted, passage_words
from assistant.conversation import asks_again
from assistant.english import in_english, section_in_english, title_gloss
from assistant.question import Query
from assistant.retrieve import Hit
from index.analyze import names_a_person, proper_nouns, terms
from index.build import DocumentText
from index.glossary import Glossary
from index.tables import TOTALS

# The share of the question's weight one sentence must hold for an answer, per language (the
# two are built differently: an English question's unknown words weigh half); calibrated on
# the question set, see eval/README.md.
FOUND_COVERAGE = {"ja": 0.40, "en": 0.30}
KEEP_RATIO = 0.7  # other sentences quoted when they hold this share of the best one's coverage
MAX_QUOTES = 6
OTHER_KEEP = 0.9  # another section is quoted only when it holds the question nearly as well
OTHER_QUOTES = 2  # sentences quoted from a section other than the best one's
MAX_SECTIONS = 3
RELATED = 3
MAX_ROWS = 5
MIN_SENTENCE_CHARS = 12  # a shorter sentence is quoted with the one before it
MAX_GLOSSES = 6
MIN_GLOSSES = 2  # fewer key terms than this: the quotes' other terms are glossed too
OTHER_SCRIPT = ("The plans can be searched in Japanese or English; this question is in neither. "
                "日本語か英語で質問してください。")
_SENTENCE_END = re.compile(r"(?<=。)(?![)）」』])")
_DIGITS = r"[△▲]?[0-9０-９](?:[0-9０-９,，.．]*[0-9０-９])?"  # not ending in a dot: 「1. 専攻」 is an item
_MONEY = r"億円|百万円|千円|万円|円"
_MEASURES = _MONEY + r"|％|%|u|㎡"
_NUMBER = re.compile(_DIGITS + r"\s*(?:" + _MEASURES + "|" + COUNTERS + ")")
# "How much" is answered by an amount (money, a share, an area), not a count of things: 「年間の授業料は
# いくら？」 is not answered by 「年間30件以上の特許の出願」; 「何件」 and "how many" count.
_AMOUNT = re.compile(_DIGITS + r"\s*(?:" + _MEASURES + r"|倍|割)")
# A table heading that gives the unit of its numbers (「予定額(百万円)」), and a number with no unit of
# its own below it (「小規模改修 総額282」: 282百万円; not 「(282)」, a year or a share).
_UNIT_HEADING = re.compile(r"[(（](?:単位\s*[:：]?\s*)?(" + _MONEY + r")[)）]")
_QUALIFIER = re.compile(r"程度|以上|以下|未満|前後|超|余り|弱|強|まで")
_BARE_NUMBER = re.compile(r"(?<![0-9０-９,，.．(（△▲])[△▲]?[0-9０-９](?:[0-9０-９,，]*[0-9０-９])?(?![0-9０-９,，.．)）年月度%％])")
# A time, as a question about one wants it given.
_DATE = re.compile(r"(?:平成|令和|昭和)\s*[0-9０-９元]+\s*年度?|[0-9０-９]{4}\s*年度?|[0-9０-９]+\s*月")
_COUNTRIES = re.compile(r"国|countr", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[、,，。；;・]")  # not a line break: the plans' lines wrap mid-sentence
MAX_SUBJECT_CHARS = 40  # a longer text before a value is a sentence, not the name of the value
MAX_REST_CHARS = 5  # a line that names its value ends with it, or with 「とする。」
MAX_CLAUSE_CHARS = 70
MAX_GIST_CHARS = 90  # a lead quoting more is a paragraph, not a lead
_LEADING_MARKER = re.compile(r"^[\s\d０-９.．)）(（①-⑳a-zA-Zａ-ｚ・\-]*")


@dataclass
class _Sentence:
    """A quotable piece of a retrieved section: a sentence, an item, or a table's rows."""

    hit: Hit
    rank: int
    start: int
    end: int
    text: str
    line_start: int
    line_end: int
    rows: tuple[str, ...] = ()
    caption: str = ""  # a table's title: which table, which year its rows give
    coverage: float = 0.0
    said: float = 0.0  # the share of the question in the sentence's own words, not its section's titles
    matched_rows: tuple[str, ...] = ()  # the rows that name what the question asks for


def answer_offline(query: Query, hits: list[Hit], documents: dict[str, DocumentText], lexicon: Lexicon,
                   question: str | None = None, language: str | None = None, threshold: float | None = None) -> Answer:
    """Quote the sentences of `hits` that answer `query`, or say the plans do not, in `language`
    (by default the question's). `threshold` is the share of the question a sentence must hold
    (by default FOUND_COVERAGE; `eval.calibrate` sweeps it).

    `question` is what the user asked when `query` is it made standalone: the earlier turn's
    words then set the context at half weight, and the follow-up's own words lead."""
    wanted = Wanted.of(query, lexicon, question)
    sentences = [s for rank, hit in enumerate(hits) for s in _sentences(hit, rank, documents[hit.document_id].text)]
    wanted_terms = set(terms(query.keyword_text))  # a value is read from a row the question names, not a guess
    if asks_total(query.text):  # the conversation's: after 「予算の合計は？」, 「支出は？」 asks for its total
        wanted_terms |= TOTALS
    for s in sentences:
        headings = _squash(" ".join((s.hit.label, *s.hit.path)))
        body = [ln for ln in s.text.splitlines() if _squash(ln) not in headings] or [s.text]  # a heading line restates titles
        own = passage_words("\n".join((*body, s.caption, *s.rows)))
        titles = passage_words("\n".join(s.hit.path))
        # A follow-up's answer is about what the conversation is about.
        s.coverage = wanted.coverage(own, titles) if wanted.holds_context(own | titles) else 0.0
        s.said = wanted.coverage(own)
        s.matched_rows = _matched_rows(s.rows, wanted_terms, wanted.own)
    own_words = question if question and query.text.endswith(question) else query.text
    # A follow-up asks what its own words ask, or the earlier question again when it only names another thing.
    asked_text = query.text if asks_again(own_words) else own_words
    asked_for = asking(asked_text)
    numeric, person, place = asked_for.value, asked_for.person, asked_for.place
    value = (_AMOUNT if asked_for.amount else _NUMBER) if numeric else _DATE if asked_for.time else None  # what the answer gives
    if threshold is None:
        threshold = FOUND_COVERAGE.get(query.language, 1.0)
    # A sentence of the plan the question names comes first when one answers it ("the three principles of
    # Tohoku" are not Yokohama's); a table answers a question about a value; for any other, a sentence
    # holding as much comes first.
    named = query.named if any(s.hit.document_id in query.named and s.coverage >= threshold for s in sentences) else set()
    sentences.sort(key=lambda s: (bool(named) and s.hit.document_id not in named, -s.coverage,
                                  bool(s.rows) and not numeric, -s.said, s.rank, s.start))
    # A question about a number, a time, a person or a place is answered by the best sentence that gives
    # one, or not at all (a place other than those the question and the plan's title name).
    known = proper_nouns(f"{query.text} {' '.join(d.title for d in documents.values())}") if place else frozenset()
    countries = bool(_COUNTRIES.search(query.text))  # 日本 answers "which countries", not "which cities"
    best = next((s for s in sentences if (not value or _gives(s.text, value, wanted) or numeric and s.matched_rows)
                 and (not person or names_a_person(s.text)) and (not place or _names_another(s.text, countries, known))), None)
    asked = question or query.text
    language = language or query.language
    if language not in ("ja", "en"):  # a question in neither script: say so, in English and Japanese
        return Answer(asked, query.text, "en", False, OTHER_SCRIPT)
    if best is None or best.coverage < threshold:
        nearest = sorted(hits, key=lambda h: bool(query.named) and h.document_id not in query.named)  # the plan asked about first
        related = [cite_chunk(n, h, h.chunks[0]) for n, h in enumerate(nearest[:RELATED], start=1)]
        # How near the plans come to answering, whether or not the nearest sentence gives a number.
        evidence = round(sentences[0].coverage, 3) if sentences else 0.0
        return Answer(asked, query.text, language, False, _not_found(language, related), related=related, evidence=evidence)
    sentences.remove(best)
    sentences.insert(0, best)
    chosen = _choose(sentences)
    citations = [cite(n, s.hit, s.start, s.end, s.text, s.line_start, s.line_end, s.rows)
                 for n, s in enumerate(chosen, start=1)]
    document = documents[best.hit.document_id]
    text = _compose(query, wanted, language, value, best, chosen, citations, lexicon.glossary, document.title_en or document.title)
    return Answer(asked, query.text, language, True, text, citations, evidence=round(best.coverage, 3))


def _names_another(text: str, countries: bool, known: frozenset[str]) -> bool:
    """Whether `text` names a place or an institution besides the `known` ones (those the question
    and the plans' titles name): not part of one (横浜国立大学 in 国立大学法人横浜国立大学) nor holding
    one (東北大学海外ネットワーク)."""
    return any(not any(name in k or k in name for k in known) for name in proper_nouns(text, countries))


def _sentences(hit: Hit, rank: int, text: str) -> list[_Sentence]:
    out: list[_Sentence] = []
    headings: list[_Sentence] = []  # quoted only when the section says nothing else (「担保に供する計画の予定はない。」)
    titles = _squash(" ".join((hit.label, *hit.path)))
    for chunk in hit.chunks:
        if chunk.kind == "table":
            out.append(_Sentence(hit, rank, chunk.span.start, chunk.span.end, chunk.text,
                                 chunk.span.line_start, chunk.span.line_end, chunk.rows, chunk.caption))
            continue
        pieces = [chunk.text] if chunk.kind == "item" and len(chunk.text) < 300 else _sentence_pieces(chunk.text)
        offset = chunk.span.start
        for piece in pieces:
            start = offset + len(piece) - len(piece.lstrip())
            end = offset + len(piece.rstrip())
            offset += len(piece)
            body = text[start:end]
            if len(_squash(body)) < 4:
                continue
            first = chunk.span.line_start + text.count("\n", chunk.span.start, start)
            sentence = _Sentence(hit, rank, start, end, body, first, first + body.count("\n"))
            # a heading says nothing the path does not
            (headings if _squash(body) in titles else out).append(sentence)
    return out or headings


def _sentence_pieces(text: str) -> list[str]:
    """`text` cut after each 。, a piece too short to stand alone kept with the one before it on
    its line (「α(アルファ) :効率化係数。△1%とする。」 is one statement)."""
    pieces: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if pieces and "\n" not in piece and len(_squash(piece)) < MIN_SENTENCE_CHARS:
            pieces[-1] += piece
        else:
            pieces.append(piece)
    return pieces


def _choose(ranked: list[_Sentence]) -> list[_Sentence]:
    """The best sentence and those nearly as good, in plan order within a section and in order
    of best evidence across sections.

    The best sentence's section may be quoted at length (a list question is answered by the
    section's items, which lean on its titles); another section by at most OTHER_QUOTES. The
    section the search ranks first is always quoted: when its words hold less of the question
    than another's, the two measures disagree, and the reader sees both."""
    best = ranked[0]
    chosen: list[_Sentence] = []
    sections: list[str] = [best.hit.section_id]
    for s in ranked:
        if len(chosen) == MAX_QUOTES or s.coverage < best.coverage * KEEP_RATIO:
            break
        section = s.hit.section_id
        if section != best.hit.section_id and (sum(c.hit.section_id == section for c in chosen) == OTHER_QUOTES
                                               or s.coverage < best.coverage * OTHER_KEEP
                                               or section not in sections and len(sections) == MAX_SECTIONS):
            continue
        if section not in sections:
            sections.append(section)
        chosen.append(s)
    first = next((s for s in ranked if s.rank == 0), None)  # the best sentence of the search's first section
    if first is not None and first.hit.section_id not in sections:
        sections.append(first.hit.section_id)
        chosen.append(first)
    return sorted(chosen, key=lambda s: (sections.index(s.hit.section_id), s.start))


_NOT_WORDS = re.compile(r"[\s\d０-９.．、,，。()（）〔〕［］\[\]「」①-⑳Ⅰ-Ⅻ\-]")


@lru_cache(maxsize=50_000)
def _squash(text: str) -> str:
    """Text without markers, brackets, punctuation and spaces, to compare headings with titles
    (of plan lines and titles, a fixed text: each is squashed once)."""
    return _NOT_WORDS.sub("", text)


def _same(text: str) -> str:
    """Text as compared for repetition: its characters without line breaks and spaces."""
    return "".join(text.split())


def _flat(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()


def _matched_rows(rows: tuple[str, ...], wanted: set[str], own: set[str] = frozenset()) -> tuple[str, ...]:
    """The rows whose labels share the most terms with the question (at most MAX_ROWS), else those
    whose whole text does; with a follow-up's `own` terms first (「経済学部は？」 after 教育人間科学部's
    enrolment: 経済学部's row)."""
    for part in (lambda r: r.rsplit(":", 1)[0], lambda r: r):  # the labels, else what the rows say too (「(法曹養成課程 50人)」)
        overlap = [(len(own & words), len(wanted & words)) for r in rows for words in [passage_words(part(r)).terms]]
        best = max(overlap, default=(0, 0))
        if any(best):
            return tuple(r for r, n in zip(rows, overlap) if n == best)[:MAX_ROWS]
    return ()


def _lead(language: str, value: re.Pattern[str] | None, best: _Sentence, marker: int, wanted: Wanted,
          where: str, glossary: Glossary) -> str | None:
    """For a question about a number or a time (`value`), the value first: 「短期借入金の限度額は
    23億円です [1]」; from a sentence, the value said of what the question asks, with the words it
    is said in. In English, `where` it was found and the value in English, the plan's words as evidence."""
    if value is None:
        return _gist(language, best, marker, wanted, where)
    if best.rows:
        if not best.matched_rows or value is _DATE:  # a table's rows give amounts, not times
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
    if value is _DATE and (stop := next((m.start() for m in _CLAUSE_BREAK.finditer(text, end)), len(text))) < len(text):
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
    quoted = f"「{_flat(clause[marker_end if marker_end <= clause.find(text[start:end].strip()) else 0:])}」"
    return f"In {where}, the plan gives {_in_english(amount)}: {quoted} [{marker}]." if language == "en" else f"{amount}：{quoted} [{marker}]。"


def _gist(language: str, best: _Sentence, marker: int, wanted: Wanted, where: str) -> str | None:
    """For any other question, the words of the best sentence that hold most of it, first: the
    sentence when it is short, else its clauses around the one holding most of the question."""
    if best.rows:
        return None
    text = _gist_text(best)
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


def _gist_text(best: _Sentence) -> str:
    """The best sentence as a lead quotes it: on one line, without an item's number (「1. 」)."""
    text = _flat(best.text)
    return text[_LEADING_MARKER.match(text).end():] or text


def _gives(text: str, value: re.Pattern[str], wanted: Wanted) -> bool:
    """Whether `text` gives a value of the kind asked, said of something the question names: in
    its clause, the one before (「効率化係数。△1%とする。」) or what follows (「平成18年度から,…
    リスニングテストを全学部で実施する」), where the year in 「…研究成果を創出して、平和で公正な人類
    社会の発展に貢献する2030年に向けたビジョン」 does not say when the strategy was made. For a time
    only: for a number it also refuses wrong values (an English question on the budgeted operating
    grant led with 効率化係数 △1%), which the evaluation counts as answerable questions refused."""
    values = _values(text, value)
    if value is not _DATE:  # a number, measured: see eval/README.md
        return bool(values)
    return any(wanted.coverage(passage_words(text[_clause_start(text, max(0, _clause_start(text, start) - 1)):]))
               for start, *_ in values)


def _values(text: str, value: re.Pattern[str]) -> list[tuple[int, int, str, str]]:
    """The values of the kind `value` that `text` gives: where each is, the value as read, and the
    words it is said in. A bare number under a heading giving its unit is read in that unit, and
    said in its row (「小規模改修 総額282 …」 → 282百万円)."""
    found = [(m.start(), m.end(), m.group(0).strip() + _qualifier(text, m.end()), _clause(text, m.start(), m.end()))
             for m in value.finditer(text)]
    heading = _UNIT_HEADING.search(text) if value is not _DATE else None
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
    """The clause of `text` around the span start:end, between punctuation, at most MAX_CLAUSE_CHARS."""
    before = _clause_start(text, start)
    after = next((m.start() for m in _CLAUSE_BREAK.finditer(text, end)), len(text))
    clause_start = max(before, start - MAX_CLAUSE_CHARS // 2)
    clause_end = min(after, clause_start + MAX_CLAUSE_CHARS)
    return "…" * (clause_start > before) + text[clause_start:clause_end].strip() + "…" * (clause_end < after)


def _in_english(value: str) -> str:
    """A value as an English reader reads it: 23億円 → ¥2.3 billion, 平成21年度 → FY2009."""
    return in_english(value.strip())


def _compose(query: Query, wanted: Wanted, language: str, value: re.Pattern[str] | None, best: _Sentence, chosen: list[_Sentence],
             citations: list[Citation], glossary: Glossary, plan: str) -> str:
    english = language == "en"
    def where(s: _Sentence, c: Citation) -> str:
        return f"section {section_in_english(c.heading, s.hit.path[-1] if s.hit.path else '', glossary)} of the {plan}"

    cited = citations[chosen.index(best)]
    lead = _lead(language, value, best, cited.marker, wanted, where(best, cited), glossary)
    if lead is None and value is None:  # a table holds the question best: the best sentence quoted leads
        said = next(((s, c) for s, c in zip(chosen, citations) if not s.rows), None)
        lead = _gist(language, said[0], said[1].marker, wanted, where(*said)) if said else None
    lines = [lead or ("The plans say the following (quoted in Japanese, with their section labels):" if english
                      else "計画には次のように書かれています。")]

    current = None
    quoted: dict[str, int] = {}  # the plans repeat some items word for word (Ⅱ-3 and Ⅹ-2): shown once, cited twice
    for s, c in zip(chosen, citations):
        if s.hit.section_id != current:
            current = s.hit.section_id
            lines += ["", f"■ {c.heading}（{c.document_title}）"]
        shown = s.matched_rows or s.rows[:MAX_ROWS] + (("…",) if len(s.rows) > MAX_ROWS else ())
        quote = f"〔{s.caption}〕 " + "; ".join(shown) if s.rows else f"「{_flat(s.text)}」"  # rebuilt rows are not the plan's words
        if (earlier := quoted.setdefault(_same(quote), c.marker)) != c.marker:
            quote = f"(the same words as [{earlier}])" if english else f"（[{earlier}]と同じ文）"
        led = f"[{c.marker}]" in (lead or "") and f"「{_gist_text(s)}」" in (lead or "")
        if s.rows or not led:  # a sentence the lead quotes whole is not listed again
            lines.append(f"・{quote} [{c.marker}]")
    if english:
        shown = "\n".join(line for line in lines if line.startswith("・"))
        # The key terms are the plans' terms the question asked about, as quoted (not everyday
        # words: 改善 = improve says nothing); other terms of the quotes only when there are few
        # (scanning the whole glossary costs more than the answer).
        asked = [glossary.get(ja) for ja in query.added_terms if ja in shown]
        entries = list(dict.fromkeys(e for e in asked if e and not e.everyday))
        if len(entries) < MIN_GLOSSES:
            entries += [e for e in glossary.gloss(shown) if e not in entries]
        entries = entries[:MAX_GLOSSES]
        if entries:
            lines += ["", "Key terms: " + "; ".join(f"{e.ja} = {e.gloss}" for e in entries)]
    return "\n".join(lines)


def _not_found(language: str, related: list[Citation]) -> str:
    if language == "en":
        head = "The plans do not say. Nothing in them answers this question."
        tail = "Nearest sections:" if related else ""
    else:
        head = "計画にはこの質問に答える記載が見つかりませんでした。"
        tail = "関連しそうな箇所:" if related else ""
    near = [f"・{c.heading}（{c.document_title}）" for c in related]
    return "\n".join([head, *([tail, *near] if related else [])])
