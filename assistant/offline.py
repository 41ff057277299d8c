"""The offline answerer: the plans' own sentences that answer the question, cited.

No model is needed. A short pipeline of steps, each its own module: what the question asks for
(`assistant.asking`, `assistant.concepts`), the candidate sentences of the retrieved sections and the
quotes chosen (`assistant.quotes`), the lead (`assistant.lead`), and the rendering here: the lead, the
quotes grouped by section with their markers, and for an English reader the key terms glossed. Each
sentence is scored by how much of the question's meaning it and its section's titles contain (the
question's terms weighted by their idf in the plans, an English question's through the glossary). When
no sentence holds enough of the question, or none gives the kind of answer asked for (a number, a time,
a person, a place), the answer says the plans do not answer it and names the nearest sections instead.
"""

from __future__ import annotations

import re

from assistant.asking import asking, asks_total
from assistant.citation import Answer, Citation, cite, cite_chunk
from assistant.concepts import Lexicon, Wanted, passage_words
from assistant.conversation import asks_again
from assistant.english import section_in_english
from assistant.lead import AMOUNT, COUNTRIES, DATE, NUMBER, counted, gist, gist_text, gives, names_another, write_lead
from assistant.question import Query
from assistant.quotes import MAX_ROWS, Sentence, choose, cut, flat, rows_asked, same, squash
from assistant.retrieve import Hit
from index.analyze import names_a_person, proper_nouns, terms
from index.build import DocumentText
from index.glossary import Glossary
from index.tables import TOTALS

# The share of the question's weight one sentence must hold for an answer, per language (the
# two are built differently: an English question's unknown words weigh half); calibrated on
# the question set, see eval/README.md.
FOUND_COVERAGE = {"ja": 0.40, "en": 0.30}
RELATED = 3
MAX_GLOSSES = 6
MIN_GLOSSES = 2  # fewer key terms than this: the quotes' other terms are glossed too
OTHER_SCRIPT = ("The plans can be searched in Japanese or English; this question is in neither. "
                "日本語か英語で質問してください。")


def answer_offline(query: Query, hits: list[Hit], documents: dict[str, DocumentText], lexicon: Lexicon,
                   question: str | None = None, language: str | None = None, threshold: float | None = None) -> Answer:
    """Quote the sentences of `hits` that answer `query`, or say the plans do not, in `language`
    (by default the question's). `threshold` is the share of the question a sentence must hold
    (by default FOUND_COVERAGE; `eval.calibrate` sweeps it).

    `question` is what the user asked when `query` is it made standalone: the earlier turn's
    words then set the context at half weight, and the follow-up's own words lead."""
    wanted = Wanted.of(query, lexicon, question)
    sentences = [s for rank, hit in enumerate(hits) for s in cut(hit, rank, documents[hit.document_id].text)]
    wanted_terms = set(terms(query.keyword_text))  # a value is read from a row the question names, not a guess
    if asks_total(query.text):  # the conversation's: after 「予算の合計は？」, 「支出は？」 asks for its total
        wanted_terms |= TOTALS
    for s in sentences:
        headings = squash(" ".join((s.hit.label, *s.hit.path)))
        body = [ln for ln in s.text.splitlines() if squash(ln) not in headings] or [s.text]  # a heading line restates titles
        own = passage_words("\n".join((*body, s.caption, *s.rows)))
        titles = passage_words("\n".join(s.hit.path))
        # A follow-up's answer is about what the conversation is about.
        s.coverage = wanted.coverage(own, titles) if wanted.holds_context(own | titles) else 0.0
        s.said = wanted.coverage(own)
        s.matched_rows = rows_asked(s.rows, wanted_terms, wanted.own)
    own_words = question if question and query.text.endswith(question) else query.text
    # A follow-up asks what its own words ask, or the earlier question again when it only names another thing.
    asked_text = query.text if asks_again(own_words) else own_words
    asked_for = asking(asked_text)
    numeric, person, place = asked_for.value, asked_for.person, asked_for.place
    value = (AMOUNT if asked_for.amount else NUMBER) if numeric else DATE if asked_for.time else None  # what the answer gives
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
    countries = bool(COUNTRIES.search(query.text))  # 日本 answers "which countries", not "which cities"
    def answering(value: re.Pattern[str] | None) -> Sentence | None:
        return next((s for s in sentences if (not value or gives(s.text, value, wanted) or numeric and s.matched_rows)
                     and (not person or names_a_person(s.text)) and (not place or names_another(s.text, countries, known))), None)
    best = answering(value)
    # 「何人？」 is answered by a count of people where one answers it: not by 40歳 beside 300人 (a table's rows, by their row).
    if asked_for.counter and best is not None and not best.matched_rows:
        exact = counted(asked_for.counter)
        by_count = answering(exact)
        if by_count is not None and by_count.coverage >= threshold:
            best, value = by_count, exact
    asked = question or query.text
    language = language or query.language
    if language not in ("ja", "en"):  # a question in neither script: say so, in English and Japanese
        return Answer(asked, query.text, "en", False, OTHER_SCRIPT)
    if best is None or best.coverage < threshold:
        # How near the plans come to answering, whether or not the nearest sentence gives a number.
        return refusal(query, hits, asked, language, round(sentences[0].coverage, 3) if sentences else 0.0)
    sentences.remove(best)
    sentences.insert(0, best)
    chosen = choose(sentences)
    citations = [cite(n, s.hit, s.start, s.end, s.text, s.line_start, s.line_end, s.rows)
                 for n, s in enumerate(chosen, start=1)]
    document = documents[best.hit.document_id]
    text = _compose(query, wanted, language, value, best, chosen, citations, lexicon.glossary, document.title_en or document.title)
    return Answer(asked, query.text, language, True, text, citations, evidence=round(best.coverage, 3))


def _compose(query: Query, wanted: Wanted, language: str, value: re.Pattern[str] | None, best: Sentence, chosen: list[Sentence],
             citations: list[Citation], glossary: Glossary, plan: str) -> str:
    english = language == "en"
    def where(s: Sentence, c: Citation) -> str:
        return f"section {section_in_english(c.heading, s.hit.path[-1] if s.hit.path else '', glossary)} of the {plan}"

    cited = citations[chosen.index(best)]
    lead = write_lead(language, value, best, cited.marker, wanted, where(best, cited), glossary)
    if lead is None and value is None:  # a table holds the question best: the best sentence quoted leads
        said = next(((s, c) for s, c in zip(chosen, citations) if not s.rows), None)
        lead = gist(language, said[0], said[1].marker, wanted, where(*said)) if said else None
    lines = [lead or ("The plans say the following (quoted in Japanese, with their section labels):" if english
                      else "計画には次のように書かれています。")]

    current = None
    quoted: dict[str, int] = {}  # the plans repeat some items word for word (Ⅱ-3 and Ⅹ-2): shown once, cited twice
    for s, c in zip(chosen, citations):
        if s.hit.section_id != current:
            current = s.hit.section_id
            lines += ["", f"■ {c.heading}（{c.document_title}）"]
        shown = s.matched_rows or s.rows[:MAX_ROWS] + (("…",) if len(s.rows) > MAX_ROWS else ())
        quote = f"〔{s.caption}〕 " + "; ".join(shown) if s.rows else f"「{flat(s.text)}」"  # rebuilt rows are not the plan's words
        if (earlier := quoted.setdefault(same(quote), c.marker)) != c.marker:
            quote = f"(the same words as [{earlier}])" if english else f"（[{earlier}]と同じ文）"
        led = f"[{c.marker}]" in (lead or "") and f"「{gist_text(s)}」" in (lead or "")
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


def refusal(query: Query, hits: list[Hit], asked: str, language: str, evidence: float = 0.0, head: str = "") -> Answer:
    """The plans do not say (or `head`, why not), and the nearest sections: the named plan's first."""
    nearest = sorted(hits, key=lambda h: bool(query.named) and h.document_id not in query.named)
    related = [cite_chunk(n, h, h.chunks[0]) for n, h in enumerate(nearest[:RELATED], start=1)]
    if language == "en":
        head = head or "The plans do not say. Nothing in them answers this question."
        tail = "Nearest sections:"
    else:
        head = head or "計画にはこの質問に答える記載が見つかりませんでした。"
        tail = "関連しそうな箇所:"
    near = [f"・{c.heading}（{c.document_title}）" for c in related]
    text = "\n".join([head, *([tail, *near] if related else [])])
    return Answer(asked, query.text, language, False, text, related=related, evidence=evidence)
