"""Answers from the section tree: a plan's parts, a section's parts, how many, what a section says.

「中期計画の主な柱は？」, "How many targets does the strategy set?" and 「Ⅱ-1には何が書いてある？」 are
answered by the plan's outline, not by the sentences that best match their words: the headings of
the section's children, every one, counted, each cited at its heading line. The section is the
one a question names by its label, or else the one whose titles hold most of what the question
asks for (the plan itself, for an overview), among the retrieved sections and their ancestors.
Children numbered by a kind word (ターゲット1…4 beside プロセス1, 2) are listed by it when the question
names it. A follow-up 「2つ目は？」 names the second heading (`assistant.conversation`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.asking import asking, without_outline_words
from assistant.citation import Answer, Citation, heading
from assistant.concepts import Lexicon, Wanted, Words, passage_words
from assistant.question import Query, shortened
from assistant.quotes import flat
from assistant.retrieve import Hit
from index.analyze import normalize, proper_nouns
from assistant.english import section_in_english
from index.build import DocumentText
from index.glossary import Glossary

MIN_CHILDREN = 2
HEADING_LINES = 3  # a heading's title is on its marker's line or within the next two
MAX_QUOTED_CHARS = 400  # a section named by its label, with no parts of its own, is quoted up to here
SCOPE_HITS = 3  # with no plan named, the plans of the best few sections are searched for the parts asked for
# The share of what the question asks about (its words for parts aside) that a section's titles
# must hold: an outline answers a question about the section, not one about something in it.
OUTLINE_COVERAGE = 0.75
_LABEL_EDGE = r"[0-9a-z\-)）]"
_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ"
_CHAPTER = re.compile(r"\bchapter\s+([0-9]{1,2})\b", re.IGNORECASE)
_KIND = re.compile(r"[\s0-9０-９.．:：、,，()（）\-]+")  # what is left of 「ターゲット2.」 once its number goes: its kind


@dataclass(frozen=True)
class Listing:
    """What the outline answers: a section (None: the plan's top level) and the parts asked for."""

    document: DocumentText
    section: str | None
    parts: tuple[str, ...]
    coverage: float


def listing(query: Query, hits: list[Hit], documents: dict[str, DocumentText], lexicon: Lexicon,
            question: str) -> Listing | None:
    """The outline's answer to `question`, when it asks for a plan's or a section's parts (or names a
    section by its label and has parts, or asks what it says); None for any other question, or when
    no section's titles hold at least OUTLINE_COVERAGE of what it asks about."""
    asked = asking(question).outline
    scope = [documents[d] for d in dict.fromkeys([*sorted(query.named & documents.keys()),
                                                   *(h.document_id for h in hits[:SCOPE_HITS])])]
    named = _named_section(question, scope)
    if named is not None and (asked or named[0].outline[named[1]].children):
        document, section = named
        return Listing(document, section, document.outline[section].children, 1.0)
    if not asked:
        return None
    # What the question asks about, without the words asking for parts (柱, 一覧, "how many").
    wanted = Wanted.of(replace(query, text=without_outline_words(query.text), added_terms=()), lexicon)
    rank: dict[tuple[str, str | None], int] = {}  # each section's best hit, ancestors included: a tie goes to what the search found
    for n, hit in enumerate(hits):
        at: str | None = hit.section_id
        while at is not None and hit.document_id in documents:
            rank.setdefault((hit.document_id, at), n)
            at = documents[hit.document_id].outline[at].parent
        rank.setdefault((hit.document_id, None), n)
    best: tuple[tuple[float, ...], Listing] | None = None
    for document in scope:
        # The words naming the plan (「中期計画の」, "YNU's") say which plan, not which section: when
        # nothing else is asked about, the plan's own parts are.
        short = [n for n in proper_nouns(question) if shortened(n, {document.id: document.names})]  # お茶大
        words = passage_words(" ".join((document.title, document.title_en, *document.names, *short)))
        naming = Words(words.terms | words.parts)  # "YNU" is 横浜 国立 大学, inside 横浜国立大学
        titles = passage_words(" ".join(h.title for h in document.outline.values()))
        # An English word the glossary does not know can be held by no Japanese title ("third", "organised").
        about = replace(wanted, concepts=tuple(c for c in wanted.concepts if naming.hold(c) < 1
                                               and (not all(t.isascii() for t in c.terms) or titles.hold(c))),
                        inferred=frozenset())
        asked_terms = {t for c in about.concepts for t in c.terms}
        if not about.concepts:
            if len(document.top) >= MIN_CHILDREN and len(wanted.concepts):
                return Listing(document, None, document.top, 1.0)
            continue
        for section in document.outline:
            children = document.outline[section].children
            if len(children) < MIN_CHILDREN:
                continue
            parts, kind = _of_kind(document, children, about)
            coverage = about.coverage(passage_words(" ".join((*document.path(section), kind))))
            own = passage_words(f"{document.outline[section].title} {kind}").terms
            precision = len(own & asked_terms) / len(own) if own else 0.0
            key = (round(coverage, 2), round(precision, 2), -len(document.path(section)), -rank.get((document.id, section), len(hits)))
            if best is None or key > best[0]:
                best = (key, Listing(document, section, parts, coverage))
    return best[1] if best and best[1].coverage >= OUTLINE_COVERAGE else None


def _of_kind(document: DocumentText, children: tuple[str, ...], wanted: Wanted) -> tuple[tuple[str, ...], str]:
    """What the parts are called, and those of the kind the question names. Children numbered by
    kind (ターゲット1, プロセス1): the kind named, when one is (the four ターゲット among the プロセス);
    else all children, called by the words most of their titles share (「…に関する具体的方策」)."""
    kinds: dict[str, list[str]] = {}
    for child in children:
        kind = _KIND.sub("", document.outline[child].number)
        if kind:
            kinds.setdefault(kind, []).append(child)
    named = [k for k, members in kinds.items() if len(members) >= MIN_CHILDREN and any(passage_words(k).hold(c) for c in wanted.concepts)]
    if len(kinds) >= 2 and len(named) == 1:
        return tuple(kinds[named[0]]), named[0]
    counts: dict[str, int] = {}
    for child in children:
        for term in passage_words(document.outline[child].title).terms:
            counts[term] = counts.get(term, 0) + 1
    shared = sorted(t for t, n in counts.items() if n >= MIN_CHILDREN and 2 * n >= len(children))
    return children, " ".join([*kinds, *shared])


def _named_section(question: str, scope: list[DocumentText]) -> tuple[DocumentText, str] | None:
    """The section whose label the question names (「Ⅰ-1-(4)には…」, "section II-1"), the longest
    label found; in the first plan of `scope` that has it."""
    text = normalize(_CHAPTER.sub(r"第\1章", question))  # "chapter 6" is 第6章
    found: tuple[int, DocumentText, str] | None = None
    for document in scope:
        for h in document.outline.values():
            label = normalize(h.label)
            # one letter names a section only as its Roman numeral (Ⅴ, not v)
            one = len(label) == 1 and h.label in _ROMAN and h.label in question
            if not (len(label) >= 2 or one) or not h.numbered or (found and len(label) <= found[0]):
                continue
            after = _LABEL_EDGE[:-1] + "一-龥]" if label[-1].isdigit() else _LABEL_EDGE  # 第4期 is no section 第4
            if re.search(rf"(?<!{_LABEL_EDGE}){re.escape(label)}(?!{after})", text):
                found = (len(label), document, h.id)
    return (found[1], found[2]) if found else None


def answer_listing(found: Listing, query: Query, question: str, language: str, glossary: Glossary) -> Answer:
    """The parts of the section, each cited at its heading line; a section with no parts, its text.
    In English, each heading's title glossed."""
    document = found.document

    def shown(section: str) -> str:
        head = _heading(document, section)
        return section_in_english(head, document.outline[section].title, glossary) if language == "en" else head

    if not found.parts:
        assert found.section is not None
        citation = _cite(1, document, found.section, quote=True)
        head = shown(found.section)
        lead = (f"Section {head} of the {_title(document, language)} says [1]:" if language == "en"
                else f"{document.title}の「{head}」には次のように書かれています [1]。")
        return Answer(question, query.text, language, True, f"{lead}\n「{flat(citation.passage)}」", [citation],
                      evidence=round(found.coverage, 3))
    citations = [_cite(n, document, part) for n, part in enumerate(found.parts, start=1)]
    listed = [f"{shown(part)} [{c.marker}]" for part, c in zip(found.parts, citations)]
    count = len(found.parts)
    if language == "en":
        where = f"Section {shown(found.section)} of the" if found.section else "The"
        text = f"{where} {_title(document, language)} has {count} part{'s' * (count > 1)}: {'; '.join(listed)}."
    else:
        where = f"{document.title}の「{shown(found.section)}」" if found.section else document.title
        text = f"{where}は次の{count}項目からなります：{'、'.join(listed)}。"
    return Answer(question, query.text, language, True, text, citations, evidence=round(found.coverage, 3))


def _title(document: DocumentText, language: str) -> str:
    return (document.title_en or document.title) if language == "en" else document.title


def _heading(document: DocumentText, section: str) -> str:
    h = document.outline[section]
    return heading(h.label, document.path(section)) if h.numbered else h.title


def _cite(marker: int, document: DocumentText, section: str, quote: bool = False) -> Citation:
    """A section cited at its heading (the lines up to the one holding its title: 「別紙」 then its
    title), or (`quote`) its own text up to MAX_QUOTED_CHARS, cut after a full stop."""
    start, end = document.sections[section]
    h = document.outline[section]
    own_end = document.sections[h.children[0]][0] if h.children else end
    text = document.text
    if quote:
        stop = own_end if own_end - start <= MAX_QUOTED_CHARS else (text.rfind("。", start, start + MAX_QUOTED_CHARS) + 1 or start + MAX_QUOTED_CHARS)
    else:
        stop = start
        for _ in range(HEADING_LINES):
            stop = text.find("\n", stop + 1, own_end)
            if stop < 0 or h.title in text[start:stop]:
                break
        stop = own_end if stop < 0 else stop
    passage = text[start:stop].rstrip()
    line = text.count("\n", 0, start) + 1
    return Citation(marker, document.id, document.title, section, h.label, document.path(section), passage,
                    start, start + len(passage), line, line + passage.count("\n"), 1.0)
