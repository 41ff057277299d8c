"""English to Japanese from JMdict, and English names of institutions from JMnedict.

The curated glossary (``index.glossary``) was written from the bundled plans; a plan a user uploads
uses words it does not list. This module derives the same kind of :class:`~index.glossary.Glossary`
from JMdict for any corpus, and romanized names of institutions and places from JMnedict:

* :func:`dictionary_glossary` offers, for each English gloss of a JMdict word, the Japanese words the
  corpus itself uses (a word's other senses are never offered where the corpus lacks the words for
  them: "credit" is 単位 in a plan that has 単位 and not 信用).
* :func:`romanized_names` renders 「国立大学法人横浜国立大学」 as "Yokohama National University" and
  "Yokohama": the proper part from JMnedict, the common parts (大学, 国立, 女子大学) from JMdict, a
  romanized reading (Sudachi + pykakasi) for a name neither knows.

Both read the SQLite database of the ``jamdict-data`` package directly (read-only, nothing is
downloaded); jamdict's own Python API builds objects per entry and is far too slow for a whole
dictionary pass.

Attribution: this module uses the JMdict and JMnedict dictionary files. These files are the property
of the Electronic Dictionary Research and Development Group (EDRDG), and are used in conformance with
the Group's licence (https://www.edrdg.org/edrdg/licence.html): Creative Commons Attribution-ShareAlike
4.0 International (CC BY-SA 4.0). JMdict: https://www.edrdg.org/wiki/index.php/JMdict-EDICT_Dictionary_Project;
JMnedict: https://www.edrdg.org/enamdict/enamdict_doc.html. The copy used is the one packaged by
jamdict-data (JMdict/JMnedict of 2020). A glossary built from them is a derived work under the same licence.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from index.glossary import Entry, Glossary, fold_word, phrase_key

KIND = "general"
MAX_TERMS_PER_PHRASE = 3  # Japanese candidates kept for one English phrase
MIN_IDF = 0.25  # below this (a word in ~4/5 of the passages) a word says nothing about a passage
MAX_SENSES = 5  # a word's later senses (取る has dozens) are rarely what a plan means by it
MAX_GLOSS_WORDS = 4  # longer glosses are definitions, not something a question says verbatim

# --- the database -----------------------------------------------------------------------------

_local = threading.local()


def _db() -> sqlite3.Connection:
    """A read-only connection to jamdict-data's SQLite file, one per thread (sqlite3 connections
    are not shared between threads)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        from jamdict_data import JAMDICT_DB_PATH

        conn = sqlite3.connect(f"file:{JAMDICT_DB_PATH}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        _local.conn = conn
    return conn


# Parts of speech that make a sense a content word. A sense with none of these (a particle, a
# suffix, an adverb, a counter, a pronoun ...) is grammar, not a term a plan is about.
_CONTENT_POS = (
    "noun (common) (futsuumeishi)", "noun or participle which takes the aux. verb suru",
    "adjectival nouns or quasi-adjectives (keiyodoshi)", "adjective (keiyoushi)", "Ichidan verb",
    "noun or verb acting prenominally", "transitive verb", "intransitive verb", "'taru' adjective",
    "nouns which may take the genitive case particle 'no'", "expressions (phrases, clauses, etc.)",
)
# Senses a plan does not mean: dated, rude or jocular language.
_SKIP_MISC = frozenset({
    "archaism", "obsolete term", "obscure term", "slang", "vulgar expression or word", "derogatory",
    "Internet slang", "manga slang", "jocular, humorous term", "children's language", "rare", "sensitive",
    "dated term", "poetical term", "historical term", "X-rated term", "colloquialism", "male term or language",
    "female term or language", "proverb", "idiomatic expression", "quotation",
})
_SEP = "\x1f"


class _Sense(NamedTuple):
    glosses: str  # raw JMdict glosses, in order, joined by _SEP (split only for words a corpus uses)
    kanji: frozenset[str] | None  # stagk: the kanji forms the sense is limited to (None: all)
    kana: frozenset[str] | None  # stagr: the readings it is limited to (None: all)


@functools.lru_cache(maxsize=1)
def _jmdict() -> tuple[dict[str, list[int]], dict[int, list[_Sense]]]:
    """Headword → JMdict entries, and entry → its content senses; loaded once per process (~1.5 s).

    Headwords are the kanji forms, and the katakana forms (loanwords: キャンパス, センター), of two
    characters or more; hiragana forms are left out (they are function words, or spell a kanji word
    that the corpus's Sudachi terms give in kanji anyway)."""
    conn = _db()
    restrict: dict[str, dict[int, set[str]]] = {"stagk": {}, "stagr": {}}
    for table, found in restrict.items():
        for sid, text in conn.execute(f"SELECT sid, text FROM {table}"):  # table: a fixed name
            found.setdefault(sid, set()).add(text)
    stagk, stagr = restrict["stagk"], restrict["stagr"]
    content = set(_CONTENT_POS)
    kept_pos: dict[str, bool] = {}  # a few hundred distinct part-of-speech lists
    kept_misc: dict[str | None, bool] = {None: True}
    senses: dict[int, list[_Sense]] = {}
    last_idseq, last_pos = -1, ""
    rows = conn.execute(
        "SELECT s.ID, s.idseq,"
        " (SELECT group_concat(text, char(31)) FROM SenseGloss g WHERE g.sid = s.ID),"
        " (SELECT group_concat(text, char(31)) FROM pos p WHERE p.sid = s.ID),"
        " (SELECT group_concat(text, char(31)) FROM misc m WHERE m.sid = s.ID)"
        " FROM Sense s ORDER BY s.ID"
    )
    for sid, idseq, glosses, pos, misc in rows:
        # JMdict lists a sense's part of speech only where it changes: a sense without one has the previous.
        if not pos:
            pos = last_pos if idseq == last_idseq else ""
        last_idseq, last_pos = idseq, pos
        keep = kept_pos.get(pos)
        if keep is None:
            keep = kept_pos[pos] = bool(content.intersection(pos.split(_SEP)))
        keep_misc = kept_misc.get(misc)
        if keep_misc is None:
            keep_misc = kept_misc[misc] = not _SKIP_MISC.intersection(misc.split(_SEP))
        if glosses and keep and keep_misc:
            k, r = stagk.get(sid), stagr.get(sid)
            sense = _Sense(glosses, frozenset(k) if k else None, frozenset(r) if r else None)
            senses.setdefault(idseq, []).append(sense)
    heads: dict[str, list[int]] = {}
    for table in ("Kanji", "Kana"):
        for idseq, text in conn.execute(f"SELECT idseq, text FROM {table}"):
            if idseq in senses and (table == "Kanji" or (len(text) >= 2 and _is_katakana(text))):
                ids = heads.setdefault(text, [])
                if idseq not in ids:
                    ids.append(idseq)
    return heads, senses


@functools.lru_cache(maxsize=1)
def _by_prefix() -> dict[str, tuple[str, ...]]:
    """Headwords by their first two characters, to find the ones a text holds in one pass over it."""
    out: dict[str, list[str]] = {}
    for head in _jmdict()[0]:
        if len(head) >= 2:
            out.setdefault(head[:2], []).append(head)
    return {k: tuple(v) for k, v in out.items()}


def _in_text(text: str) -> set[str]:
    """The headwords written somewhere in ``text``."""
    get = _by_prefix().get
    found = set()
    for i in range(len(text) - 1):
        heads = get(text[i : i + 2])
        if heads:
            found.update(h for h in heads if text.startswith(h, i))
    return found


_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc\u30fb]+")


def _is_katakana(text: str) -> bool:
    return bool(_KATAKANA.fullmatch(text)) and text[0] != "ー"


def _senses_of(headword: str) -> list[_Sense]:
    """The content senses JMdict gives this headword (honouring a sense's stagk/stagr limits)."""
    heads, senses = _jmdict()
    katakana = _is_katakana(headword)
    out = []
    for idseq in heads.get(headword, ()):
        for sense in senses[idseq]:
            limit = sense.kana if katakana else sense.kanji
            if limit is None or headword in limit:
                out.append(sense)
    return out


# --- English glosses as renderings ---------------------------------------------------------------

# Function words: a gloss made only of these (JMdict's "and", "it", "to be") matches every question.
_GRAMMAR = frozenset(
    ["a", "an", "the", "and", "or", "but", "nor", "if", "then", "than", "that", "this", "these", "those", "there", "here", "it", "its", "they", "them", "their", "he", "him", "his", "she", "her", "we", "us", "our", "you", "your", "i", "me", "my", "mine", "who", "whom", "whose", "which", "what", "when", "where", "why", "how", "of", "in", "on", "at", "by", "for", "from", "to", "with", "without", "into", "onto", "about", "above", "below", "over", "under", "between", "among", "through", "during", "before", "after", "as", "so", "such", "not", "no", "yes", "all", "any", "each", "every", "some", "both", "either", "neither", "few", "many", "much", "more", "most", "other", "another", "same", "own", "one", "be", "is", "are", "was", "were", "been", "being", "am", "do", "does", "did", "done", "have", "has", "had", "having", "can", "could", "will", "would", "shall", "should", "may", "might", "must", "very", "too", "also", "just", "only", "even", "still", "yet", "already", "again", "ever", "never", "always", "often", "well", "etc", "thing", "something", "someone", "somebody", "anything", "oneself", "self", "way", "sort", "kind"]
)
_PLACEHOLDERS = frozenset({"someone", "something", "somebody", "one", "oneself", "sb", "sth"})
_PARENS = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
_LEADING = re.compile(r"^(?:to be |to |a |an |the )", re.IGNORECASE)
_EG = re.compile(r"\b(?:e\.g|i\.e|etc|esp)\b\.?", re.IGNORECASE)


def _strip_marks(text: str) -> str:
    """Tōhoku → Tohoku: macrons and other accents as commonly typed."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@functools.lru_cache(maxsize=262_144)
def _renderings(gloss: str) -> tuple[str, ...]:
    """What a question would say for a JMdict gloss: "to promote" → "promote", "credit (in school)"
    → "credit", "centre/center" → both; () for grammar words, placeholders and definitions."""
    text = _strip_marks(gloss)
    while True:
        shorter = _PARENS.sub("", text)
        if shorter == text:
            break
        text = shorter
    if _EG.search(text) or "(" in text or ")" in text or '"' in text:
        return ()
    out = []
    for part in re.split(r"[/;]", text):
        part = _LEADING.sub("", part.strip()).strip(" .,!?'‘’“”")
        key = phrase_key(part)
        if (not key or len(key) > MAX_GLOSS_WORDS or all(w.casefold() in _GRAMMAR for w in key)
                or any(w in _PLACEHOLDERS for w in key) or (len(key) == 1 and len(key[0]) <= 2 and not part.isupper())):
            continue
        if part not in out:
            out.append(part)
    return tuple(out)


@functools.lru_cache(maxsize=262_144)
def _key(rendering: str) -> tuple[str, ...]:
    return phrase_key(rendering)


@functools.lru_cache(maxsize=262_144)
def _last_word(gloss: str) -> str:
    """The folded last word of a gloss, notes left out ("students (of a school)" → "student")."""
    words = _PARENS.sub("", gloss).split()
    return fold_word(words[-1].strip(".,;!?'\"")) if words else ""


@functools.lru_cache(maxsize=262_144)
def _sense_renderings(headword: str) -> tuple[tuple[str, ...], ...]:
    """The renderings of each content sense of a headword, senses in JMdict's order."""
    out = []
    for sense in _senses_of(headword):
        rendered = tuple(dict.fromkeys(r for g in sense.glosses.split(_SEP) for r in _renderings(g)))
        if rendered:
            out.append(rendered)
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _gloss_words() -> frozenset[str]:
    """Every one-word gloss of JMdict, lower-cased ("tuition", "credit"): a word the dictionary knows."""
    rows = _db().execute("SELECT DISTINCT lower(text) FROM SenseGloss WHERE instr(text, ' ') = 0")
    return frozenset(r[0] for r in rows)


# --- the glossary ----------------------------------------------------------------------------------


def _corpus_headwords(vocabulary: Mapping[str, float], text: str) -> dict[str, float]:
    """JMdict headwords (two characters or more) the corpus uses, with their idf, however common.

    A headword is used if it is an indexed term, or (a compound Sudachi splits, 産学連携 = 産学 +
    連携) if it is written in the text and made of two or three indexed terms; such a compound is
    at least as rare as its rarest part, so it takes that part's idf."""
    heads, _ = _jmdict()
    found = {head: vocabulary[head] for head in vocabulary.keys() & heads.keys() if len(head) >= 2}
    for head in _in_text(text) - vocabulary.keys():
        idf = _compound_idf(head, vocabulary, 3)
        if idf is not None:
            found[head] = idf
    return found


def _compound_idf(word: str, vocabulary: Mapping[str, float], parts: int) -> float | None:
    """The highest idf of the indexed terms that spell ``word`` (at most ``parts`` of them), else None."""
    best = None
    for i in range(1, len(word)):
        left = vocabulary.get(word[:i])
        if left is None:
            continue
        right = vocabulary.get(word[i:])
        if right is None and parts > 2:
            right = _compound_idf(word[i:], vocabulary, parts - 1)
        if right is not None:
            idf = max(left, right)
            best = idf if best is None else max(best, idf)
    return best


def _head_compounds(found: Mapping[str, float]) -> dict[str, tuple[str, str]]:
    """JMdict compounds the corpus lacks, split into modifier and a last part it has (外国人留学生 →
    外国人 + 留学生): Japanese compounds put the head last, so the compound names a kind of it."""
    heads, _ = _jmdict()
    out = {}
    for head in heads:
        if len(head) < 3 or head in found:
            continue
        for i in range(1, len(head) - 1):
            if head[i:] in found:
                out[head] = (head[:i], head[i:])
                break
    return out


@functools.lru_cache(maxsize=65_536)
def _words_of(word: str) -> frozenset[str] | None:
    """The folded English words of a word's JMdict glosses, notes included ("Japanese (language)"),
    or of two JMdict words that spell it; None if JMdict has neither."""
    senses = _senses_of(word)
    if senses:
        return frozenset(fold_word(w) for s in senses for w in _ENGLISH_WORD.findall(s.glosses))
    for i in range(1, len(word)):
        left, right = _senses_of(word[:i]), _senses_of(word[i:])
        if left and right:
            return frozenset(fold_word(w) for s in left + right for w in _ENGLISH_WORD.findall(s.glosses))
    return None


_ENGLISH_WORD = re.compile(r"[^\W\d_]+")


def dictionary_glossary(vocabulary: Mapping[str, float], text: str) -> Glossary:
    """A glossary (entries of kind "general") from JMdict's English glosses to the words this corpus uses.

    ``vocabulary`` maps the keyword index's terms (Sudachi normalized forms) to their idf; ``text`` is the
    corpus's text, for compounds that Sudachi splits. An English phrase is offered only Japanese words the
    corpus holds (so a word's senses the corpus has no word for are never offered: "credit" is 単位 where
    信用 is absent): those whose first senses (MAX_SENSES) gloss it, the ones whose first sense does
    first, then the rarest (most specific), at most MAX_TERMS_PER_PHRASE. Words in nearly every passage
    (idf < MIN_IDF: 大学 in a university's plan) are left out, and so is the phrase such a word mainly
    means ("university"): a rarer word would stand for it wrongly. Grammar glosses are left out.

    Two weaker fallbacks, used only for a phrase no corpus word glosses itself: a JMdict compound the
    corpus lacks lends its gloss to its last part when the English is not word-for-word (外国人留学生
    "international student" → 留学生; not "English teaching" → 教育, where "English" has its own word),
    and a two-word gloss lends its first word ("tuition fee" → "tuition" → 授業料, where 学費 is absent)."""
    from index.analyze import normalize

    text = normalize(text)
    found = _corpus_headwords(vocabulary, text)
    common = {h for h, idf in found.items() if idf < MIN_IDF}
    blocked = {_key(senses[0][0]) for h in common if (senses := _sense_renderings(h))}
    found = {h: idf for h, idf in found.items() if h not in common}
    # phrase key → {headword: rank}; rank (tier, fit): tier 0 the word's own gloss, 1 a compound's,
    # 2 the modifier of its gloss; fit 0 if in the word's first sense.
    offers: dict[tuple[str, ...], dict[str, tuple[int, int]]] = {}
    shown: dict[tuple[str, ...], str] = {}  # the phrase as JMdict writes it, for the entry

    def offer(key: tuple[str, ...], rendering: str, head: str, rank: tuple[int, int]) -> None:
        if key in blocked:
            return
        shown.setdefault(key, rendering)
        heads = offers.setdefault(key, {})
        if head not in heads or rank < heads[head]:
            heads[head] = rank

    renderings = {head: _sense_renderings(head)[:MAX_SENSES] for head in found}
    for head, senses in renderings.items():
        for n, sense in enumerate(senses):
            for r in sense:
                offer(_key(r), r, head, (0, min(n, 1)))
    head_words: dict[str, set[str]] = {}
    for compound, (modifier, head) in _head_compounds(found).items():
        last_words = head_words.get(head)
        if last_words is None:
            last_words = head_words[head] = {_key(r)[-1] for sense in renderings[head] for r in sense}
        for sense in _senses_of(compound):
            # Most compounds name something else than their head's glosses: test the last word cheaply first.
            for gloss in sense.glosses.split(_SEP):
                if _last_word(gloss) not in last_words:
                    continue
                for r in _renderings(gloss):
                    key = _key(r)
                    if 2 <= len(key) <= 3 and key[-1] in last_words and key not in offers:
                        # Word for word ("English teaching" = 英語 + 教育) the parts match on their own.
                        parts = _words_of(modifier)
                        if parts is not None and not set(key[:-1]) <= parts:
                            offer(key, r, head, (1, 0))
    known = _gloss_words()
    for head, senses in renderings.items():
        for n, sense in enumerate(senses):
            for r in sense:
                key = _key(r)
                if len(key) == 2 and (key[0],) not in offers and key[0] in known and key[0] not in _GRAMMAR:
                    offer((key[0],), r.split()[0], head, (2, min(n, 1)))
    chosen: dict[str, list[str]] = {}
    for key, heads in offers.items():
        tier = min(t for t, _ in heads.values())
        best = sorted((h for h, rank in heads.items() if rank[0] == tier), key=lambda h: (heads[h], -found[h], h))
        for head in best[:MAX_TERMS_PER_PHRASE]:
            chosen.setdefault(head, []).append(shown[key])
    entries = []
    for head in sorted(chosen, key=lambda h: (-found[h], h)):
        own = [r for sense in renderings[head] for r in sense if r in chosen[head]]
        ordered = list(dict.fromkeys(own + chosen[head]))  # the word's own glosses first, in JMdict's order
        entries.append(Entry(head, tuple(ordered), KIND))
    return Glossary(entries)


# --- names -----------------------------------------------------------------------------------------

_CORPORATE_PREFIX = re.compile(r"^.*?法人")  # 国立大学法人, 公立大学法人, 学校法人, 独立行政法人 ...
_PROPER_TYPES = ("place", "organization", "company", "station", "unclass")
_SMALL_WORDS = frozenset({"of", "and", "the", "for", "in", "at", "on"})
_LONG_VOWEL = re.compile(r"oo|uu|ou(?![aeiu])", re.IGNORECASE)


def _fold_long_vowels(word: str) -> str:
    """Hokkaidou → Hokkaido, Kyuushuu → Kyushu, Oosaka → Osaka (Inoue stays): as names are written."""
    return _LONG_VOWEL.sub(lambda m: m.group()[0], word)


@functools.lru_cache(maxsize=4096)
def _is_english(word: str) -> bool:
    """An English word (House, School) is not a transcription whose long vowels should be folded."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= 3.0


def _transcription(gloss: str) -> str:
    """A JMnedict transcription as written in English: notes dropped ("Kobe (Koube) (port city near
    Osaka)" → "Kobe"), macrons stripped, long vowels folded in words that are not English."""
    text = _strip_marks(_PARENS.sub("", gloss)).strip()
    return " ".join(w if _is_english(w) else _fold_long_vowels(w) for w in text.split())


def _hiragana(katakana: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in katakana)


@functools.lru_cache(maxsize=4096)
def _reading(text: str) -> str:
    """The reading Sudachi gives ``text`` (in hiragana): which of a name's JMnedict readings is meant."""
    # The shared per-thread tokenizer: one Sudachi dictionary per process.
    from index.analyze import _tokenizer

    return _hiragana("".join(m.reading_form() for m in _tokenizer().tokenize(text)))


@functools.lru_cache(maxsize=4096)
def _name_gloss(text: str, types: tuple[str, ...]) -> str | None:
    """JMnedict's English for a name of one of ``types`` (type order first, then the entry whose
    reading is Sudachi's: 神戸 is こうべ, Kobe, not the surname かんべ)."""
    rows = _db().execute(
        "SELECT e.idseq, t.ID, (SELECT group_concat(text, char(31)) FROM NEKana k WHERE k.idseq = e.idseq),"
        " (SELECT group_concat(text, char(31)) FROM NETransType y WHERE y.tid = t.ID),"
        " (SELECT text FROM NETransGloss g WHERE g.tid = t.ID ORDER BY rowid LIMIT 1)"
        " FROM (SELECT idseq FROM NEKanji WHERE text = ?1 UNION SELECT idseq FROM NEKana WHERE text = ?1) e"
        " JOIN NETranslation t ON t.idseq = e.idseq ORDER BY e.idseq, t.ID",
        (text,),
    ).fetchall()
    reading = _reading(text)
    best = None
    for _, _, kana, kinds, gloss in rows:
        kinds_set = set((kinds or "").split(_SEP))
        rank = min((i for i, t in enumerate(types) if t in kinds_set), default=None)
        if rank is None or not gloss:
            continue
        score = (rank, reading not in (kana or "").split(_SEP))
        if best is None or score < best[0]:
            best = (score, gloss)
    return _transcription(best[1]) if best else None


@functools.lru_cache(maxsize=4096)
def abbreviated(name: str) -> frozenset[str]:
    """What JMnedict says a short name abbreviates (東大 → Tokyo University, 九大 → Kyushu University):
    its "(abbr) …" translations, without the mark."""
    rows = _db().execute(
        "SELECT g.text FROM NEKanji k JOIN NETranslation t ON t.idseq = k.idseq JOIN NETransGloss g ON g.tid = t.ID"
        " WHERE k.text = ? AND g.text LIKE '(abbr) %'", (name,)).fetchall()
    return frozenset(text.removeprefix("(abbr) ").strip() for (text,) in rows)


@functools.lru_cache(maxsize=4096)
def _word_gloss(word: str) -> str | None:
    """JMdict's first rendering of a common word (大学 → university, 国立大学 → national university)."""
    row = _db().execute("SELECT idseq FROM Kanji WHERE text = ? ORDER BY idseq LIMIT 1", (word,)).fetchone()
    if row is None:
        return None
    for (sid,) in _db().execute("SELECT ID FROM Sense WHERE idseq = ? ORDER BY ID", (row[0],)):
        for (gloss,) in _db().execute("SELECT text FROM SenseGloss WHERE sid = ? ORDER BY rowid", (sid,)):
            rendered = _renderings(gloss)
            if rendered:
                return rendered[0]
    return None


@functools.lru_cache(maxsize=65_536)
def head_nouns(word: str) -> frozenset[str]:
    """The folded head nouns of a word's first JMdict senses (授業料 → fee, 人件費 → expense, cost),
    read straight from the database: a question's words are looked up without loading the dictionary."""
    rows = _db().execute(
        "SELECT s.ID, g.text FROM Kanji k JOIN Sense s ON s.idseq = k.idseq JOIN SenseGloss g ON g.sid = s.ID"
        " WHERE k.text = ? ORDER BY s.ID, g.rowid", (word,))
    senses: dict[int, list[str]] = {}
    for sid, gloss in rows:
        if sid in senses or len(senses) < MAX_SENSES:
            senses.setdefault(sid, []).append(gloss)
    return frozenset(_last_word(g) for gs in senses.values() for g in gs) - {""}


def _common_english(text: str) -> str | None:
    """The common words of a name in English, in as few JMdict words as possible (女子大学 → women's
    college, not woman + university), or None if the text is not made of JMdict words."""
    words = _segment(text)
    return " ".join(words) if words is not None else None


@functools.lru_cache(maxsize=4096)
def _segment(text: str) -> tuple[str, ...] | None:
    if not text:
        return ()
    best = None
    for j in range(len(text), 1, -1):
        gloss = _word_gloss(text[:j])
        rest = _segment(text[j:]) if gloss else None
        if rest is not None and (best is None or 1 + len(rest) < len(best)):
            best = (gloss.split(" or ")[0],) + rest
    return best


def _title(phrase: str) -> str:
    """women's college → Women's College; University of Tokyo keeps "of" small."""
    words = phrase.split()
    return " ".join(w if (i and w.lower() in _SMALL_WORDS) or w[:1].isupper() else w[:1].upper() + w[1:]
                    for i, w in enumerate(words))


def _romanize(text: str) -> str:
    """A name no dictionary knows, romanized from its reading (Hepburn, long vowels folded)."""
    kks = _kakasi()
    roman = "".join(part["hepburn"] for part in kks.convert(_reading(text) or text))
    return _fold_long_vowels(roman).capitalize()


@functools.lru_cache(maxsize=1)
def _kakasi():
    import pykakasi

    return pykakasi.kakasi()


def _split_name(name: str) -> tuple[str, str] | None:
    """The proper part of a name and the common rest (横浜国立大学 → 横浜 + 国立大学): the proper part
    is a JMnedict name, a place before any other kind, the longer the better."""
    best = None
    for i in range(1, len(name)):
        proper, rest = name[:i], name[i:]
        if _common_english(rest) is None:
            continue
        gloss = _name_gloss(proper, _PROPER_TYPES)
        if gloss is None:
            continue
        score = (_name_gloss(proper, ("place",)) is not None, i)
        if best is None or score > best[0]:
            best = (score, proper, rest)
    return (best[1], best[2]) if best else None


def _dedupe(names: Iterable[str | None]) -> tuple[str, ...]:
    out: dict[str, str] = {}
    for n in names:
        if n and n.casefold() not in out:
            out[n.casefold()] = n
    return tuple(out.values())


def romanized_names(name: str) -> tuple[str, ...]:
    """English forms of a Japanese institution or place name, for matching English questions, most
    complete first: 「国立大学法人横浜国立大学」 → ("Yokohama National University", "Yokohama").

    The organisation's own JMnedict name comes first, then the proper part (JMnedict) with the common
    words in English (JMdict), then the proper part alone; a proper part neither dictionary knows is
    romanized from its reading. () for an empty name."""
    name = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or ""))
    core = _CORPORATE_PREFIX.sub("", name) or name
    if not core:
        return ()
    whole = _name_gloss(core, ("organization", "company"))
    split = _split_name(core)
    if split:
        proper, rest = split
        proper_en = _name_gloss(proper, _PROPER_TYPES)
        return _dedupe([whole, f"{proper_en} {_title(_common_english(rest) or '')}".strip(), proper_en])
    alone = _name_gloss(core, _PROPER_TYPES)
    if alone or whole:
        return _dedupe([whole, alone])
    # The longest common ending JMdict knows (大学, 女子大学); the rest is romanized.
    for i in range(1, len(core)):
        rest = _common_english(core[i:])
        if rest:
            proper_en = _romanize(core[:i])
            return _dedupe([f"{proper_en} {_title(rest)}", proper_en])
    common = _common_english(core)
    return _dedupe([_title(common)] if common else [_romanize(core)])
