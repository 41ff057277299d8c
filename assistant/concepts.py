"""What a question asks for, and how much of it a passage holds.

A question is read as concepts: the things it names (a Japanese question's nouns; an English
question's glossary phrases, each standing for all its Japanese renderings, and its other
content words), each weighted by its rarity in the plans. A passage's coverage is the share of
that weight it holds, with its section's titles. A Japanese question's word, the user's and
not always the plan's, is held inside a plan's compound too (方向 in 方向性), and one the plans
never use stands for their synonyms of it (Sudachi's groups: 賃金 → 給与). Retrieval re-ranks
its best sections by the coverage of their best chunk, and the offline answerer picks the
sentences to quote by theirs: the same concepts and weights, so that what is found and what is
quoted agree. (English questions' asking words are `_EN_SCAFFOLD` here; Japanese ones,
`ASKING_WORDS` in `index.analyze`, since the keyword search drops them too.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from assistant.question import Query
from index.analyze import japanese_runs, nouns, parts, terms, without_asking_words
from index.glossary import Glossary

ENGLISH_UNKNOWN_SHARE = 0.5
CONTEXT_SHARE = 0.5  # a follow-up's earlier question weighs half its own words
_CLITIC = re.compile(r"(?:'s|n't)$", re.IGNORECASE)
# A Japanese word that the plans never use and that nothing explains weighs by how common it
# is in Japanese at large (Zipf, `index.frequency`): an everyday word half the question's
# average term, a specific one three times it (it is likely what the question asks about),
# others once. Calibrated on the question set at 1/2/3/4/5× and Zipf 4.5/5: see eval/README.md.
EVERYDAY_ZIPF, SPECIFIC_ZIPF = 5.0, 4.5
EVERYDAY_SHARE, SPECIFIC_SHARE, JAPANESE_UNSEEN_SHARE = 0.5, 3.0, 1.0
# The scaffolding of English questions: words that say how something is asked, not what.
# Any other English word the glossary does not know stays a concept the answer must hold,
# so "parking fees" is not answered by a passage about fees alone.
_EN_SCAFFOLD = frozenset("""
a about above according aim aiming aims across after all also am among an and any anything are as ask asked at available be
been being both but by can could describe described describes detail details did do does doing done during each
either else ever every exist exists explain for from get give given goes going has have having how however if in
include included includes including into is it its kind kinds list listed lists made main make many may me
mention mentioned mentions more most much must my need needs of on one ones only or other others our out over
own part particular per plan plans planned please provide provided put regarding related relating say said says
see set should so some something specific specifically state stated states such tell than that the their them
then there these they thing things this those through to under up upon us use used via want was way ways we
were what whatever when where whether which while who whom whose why will with within would write written year
years you your university universities intend intends intended expected consider
overview summary outline feature features role status nature extent background aspect aspects content contents
measure measures step steps approach approaches initiative initiatives effort efforts figure""".split())


def _nothing(word: str) -> tuple[str, ...]:
    return ()


def _no_frequency(word: str) -> float | None:
    return None


@dataclass(frozen=True)
class Lexicon:
    """The plans' words as a question is read against them: the glossary (an English
    question's words in the plans' Japanese), each term's idf, the plans' synonyms of a word
    (`index.synonyms`), the plan terms the thesaurus infers from a word (`index.thesaurus`), and
    how common a word is in Japanese at large (`index.frequency`)."""

    glossary: Glossary
    idf: Callable[[str], float]
    synonyms: Callable[[str], Iterable[str]] = _nothing
    inferred: Callable[[str], Iterable[str]] = _nothing
    zipf: Callable[[str], float | None] = _no_frequency


@dataclass(frozen=True)
class Concept:
    """One idea of the question: its renderings, any of which expresses it, and its weight. A
    rendering of several terms is held in the share of them a passage holds: 附属学校 is 付属
    and 学校, and a hospital's 付属 holds half of it (any one term held it whole, and an English
    question about attached schools was answered by the hospital's funding)."""

    renderings: tuple[frozenset[str], ...]
    weight: float
    inside: bool = False  # also held inside a plan's compound word: a Japanese question's own word

    @property
    def terms(self) -> frozenset[str]:
        return frozenset().union(*self.renderings)


@dataclass(frozen=True)
class Words:
    """The words of a passage: its terms, and the words inside its compound terms."""

    terms: frozenset[str]
    parts: frozenset[str] = frozenset()

    def __or__(self, other: Words) -> Words:
        return Words(self.terms | other.terms, self.parts | other.parts)

    def hold(self, concept: Concept) -> float:
        """How much of `concept` the words hold: the largest share of one rendering's terms."""
        words = self.terms | self.parts if concept.inside else self.terms
        return max(len(r & words) / len(r) for r in concept.renderings)


def concepts(text: str, language: str, lexicon: Lexicon) -> list[Concept]:
    """What a passage must contain to answer the question `text`: the things it names,
    weighted by their rarity in the plans.

    A word in no passage has no idf worth the name. A Japanese one stands for the plans'
    synonyms of it if they have any; else it weighs as much as the question's average known
    term, less if it is an everyday word and more if a specific one (`_unseen_share`), so it
    counts against an answer without swamping it. An English one the glossary does not
    know weighs half the average, since most such words are verbs and adjectives of the asking,
    not things the plans would name."""
    idf = lexicon.idf
    unseen = idf("\0")  # the idf of a term in no passage
    if language == "en":
        matches = lexicon.glossary.to_japanese(text)
        groups = [tuple(r for ja in m.ja_terms if (r := frozenset(terms(ja)))) for m in matches]
        shares = [1.0] * len(groups)  # how much each group weighs when the plans never use it
        for word in re.finditer(r"[A-Za-z0-9][A-Za-z0-9'-]*", text):  # a number names a thing too: Process 2
            w = _CLITIC.sub("", word.group())  # the university's, doesn't: the word itself
            short = len(w) < 3 and not w.isdigit()
            if short or w.lower() in _EN_SCAFFOLD or any(m.start <= word.start() < m.end for m in matches):
                continue
            groups.append((frozenset({w.lower()}),))
            named = w.isupper() or any(ch.isdigit() for ch in w)  # TOEIC, COVID-19: names of things
            shares.append(1.0 if named else ENGLISH_UNKNOWN_SHARE)
        japanese = " ".join(japanese_runs(text))  # the plans' terms an English question quotes (収容定員)
    else:
        groups, shares, japanese = [], [], text
    english = len(groups)  # an English question's terms are the glossary's, the plans' own words
    for t in dict.fromkeys(nouns(without_asking_words(japanese))) if japanese else ():
        known = idf(t) < unseen  # only a word the plans never use needs its synonyms and its share
        groups.append((frozenset({t}), *(() if known else (frozenset({s}) for s in lexicon.synonyms(t)))))
        shares.append(JAPANESE_UNSEEN_SHARE if known else _unseen_share(t, lexicon))
    weights = [max(idf(t) for r in g for t in r) for g in groups]
    known = [w for w in weights if w < unseen]
    average = sum(known) / len(known) if known else 1.0
    return [Concept(g, w if w < unseen else average * share, i >= english)
            for i, (g, w, share) in enumerate(zip(groups, weights, shares))]


def _unseen_share(word: str, lexicon: Lexicon) -> float:
    """What a Japanese word in no passage weighs, in shares of the question's average term: one
    the thesaurus infers plan terms from is the plans' idea in other words; else an everyday word
    is incidental to the question, a specific one likely what it asks about."""
    zipf = None if any(lexicon.inferred(word)) else lexicon.zipf(word)
    if zipf is None:
        return JAPANESE_UNSEEN_SHARE
    return EVERYDAY_SHARE if zipf >= EVERYDAY_ZIPF else SPECIFIC_SHARE if zipf < SPECIFIC_ZIPF else JAPANESE_UNSEEN_SHARE


@dataclass(frozen=True)
class Wanted:
    """What a question asks for: its concepts, and the terms of plan terms inferred from its
    words (the thesaurus), which a passage may hold beyond the question's own weight."""

    concepts: tuple[Concept, ...]
    inferred: frozenset[str]
    idf: Callable[[str], float]
    own: frozenset[str] = frozenset()  # a follow-up's own terms

    @classmethod
    def of(cls, query: Query, lexicon: Lexicon, follow_up: str | None = None) -> Wanted:
        """What `query` asks for. When it is a follow-up made standalone (`query.text` ends with
        the `follow_up` the user asked), the earlier question's words set the context at half
        weight and the follow-up's own words lead: "What about Process 2?" after Process 1 asks
        about Process 2."""
        inferred = frozenset(terms(query.expansion))
        if not follow_up or follow_up == query.text or not query.text.endswith(follow_up):
            return cls(tuple(concepts(query.text, query.language, lexicon)), inferred, lexicon.idf)
        own = concepts(follow_up, query.language, lexicon)
        context = concepts(query.text[: -len(follow_up)], query.language, lexicon)
        known = frozenset(t for c in own for t in c.terms)
        weighed = (*own, *(replace(c, weight=c.weight * CONTEXT_SHARE) for c in context if not c.terms & known))
        return cls(weighed, inferred, lexicon.idf, known)

    def holds_context(self, words: Words) -> bool:
        """Whether a follow-up's passage holds anything of the earlier question it follows (for
        a question standing alone, always): 「その理由は？」 after the cut in personnel costs is not
        answered by the reasons for short-term borrowing."""
        context = [c for c in self.concepts if not c.terms & self.own]
        return not self.own or not context or any(words.hold(c) for c in context)

    def coverage(self, words: Words, titles: Words = Words(frozenset())) -> float:
        """The share (0–1) of the question's weight that a passage's `words` hold.

        A concept found only in the `titles` of the passage's section counts as the passage's
        own: a plan item leans on its heading (「2. 附属学校と連携した学校運営を検討する」 under
        学校運営の改善)."""
        total = sum(c.weight for c in self.concepts)
        if not total:
            return 0.0
        passage = words | titles
        held = sum(c.weight * passage.hold(c) for c in self.concepts)
        return min(1.0, (held + sum(self.idf(t) for t in self.inferred & words.terms)) / total)


@lru_cache(maxsize=50_000)
def passage_words(text: str) -> Words:
    """The words of a plan passage: the plans are a fixed text, so each is analysed once."""
    return Words(frozenset(terms(text)), frozenset(parts(text)))

