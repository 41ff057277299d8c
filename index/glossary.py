"""Bilingual glossary: English questions to Japanese search terms, Japanese text to English glosses.

No neural model is available offline, so an English question reaches the Japanese plans through
a curated glossary (``index/data/glossary.tsv``, columns ``ja``, ``en``, ``kind``). Each ``ja``
term occurs verbatim in a bundled plan; ``en`` holds one or more English renderings separated by
`` | `` (the first is the preferred gloss, the others are variants a user might type). Most
entries are the plans' terms; those of kind ``word`` are everyday words (推進 = promote, 居住 =
residence), so that a question in plain English still reaches the plans' words.

* :meth:`Glossary.to_japanese` finds glossary phrases in an English question. Matching works on
  words: case-insensitive, with simple singular/plural folding (``students`` = ``student``,
  ``universities`` = ``university``, ``SDGs`` = ``SDG``), British spellings folded to
  American (``programmes`` = ``program``, ``organised`` = ``organized``), hyphens read as word
  breaks (``short-term`` = ``short term``). Longer phrases win: ``credit transfer`` is one match (単位互換), not
  ``credit`` (単位) followed by ``transfer``. Each match yields every Japanese term that shares
  the rendering (``international students`` → 留学生, 優秀な留学生 …: all are searched).
  Acronyms that spell a common word (``IT``) only match in capitals, so "it" stays a pronoun.
* :meth:`Glossary.gloss` lists the glossary entries (not everyday words) found in a Japanese
  text, longest first; a term inside a longer matched term at the same place (留学生 inside
  留学生センター) is left out.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "glossary.tsv"
HEADER = ("ja", "en", "kind")
KINDS = frozenset(
    {"education", "research", "finance", "organization", "international", "student", "facility", "governance", "general",
     "word"}  # word: an everyday word (推進 = promote), see Entry.everyday
)
EN_SEPARATOR = "|"


class GlossaryError(ValueError):
    """The glossary file is malformed; the message names the file and the line."""


@dataclass(frozen=True)
class Entry:
    """One Japanese term, its English renderings (preferred first) and a coarse category."""

    ja: str
    en: tuple[str, ...]
    kind: str

    @property
    def gloss(self) -> str:
        """The preferred English rendering."""
        return self.en[0]

    @property
    def everyday(self) -> bool:
        """An everyday word (推進 = promote), searched for but not worth a gloss."""
        return self.kind == "word"


@dataclass(frozen=True)
class Match:
    """An English phrase found in a question, with all Japanese terms it stands for.

    ``phrase_en`` is the matched text as written in the question (``english_text[start:end]``).
    """

    phrase_en: str
    ja_terms: tuple[str, ...]
    start: int
    end: int


# --- English word folding ------------------------------------------------------------------

# A word: letters and digits, with inner apostrophes (master's). Hyphens, slashes and
# punctuation separate words, so "short-term" and "short term" read the same.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_ACRONYM_PLURAL = re.compile(r"^[A-Z]{2,}s$")  # TAs, GPAs, SDGs

# An acronym that spells a common English word (IT, US, SET: student evaluation of teaching) matches
# only when written in capitals: "set" in a question is the verb. Common: wordfreq's Zipf of the word
# in English at large at least this (set 5.6, us 6.0; GPA 3.5, AI 4.2 and TA 4.0 are folded).
COMMON_ZIPF = 4.5


@functools.lru_cache(maxsize=4096)
def _common_word(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= COMMON_ZIPF

# British spellings read as American: -ise/-iser/-isation words by rule (organisation, recognised),
# the rest by list; both before and after a plural is folded (programmes → programme → program).
_BRITISH_ISE = re.compile(r"(?<=[a-z]{2})is(?=e$|ed$|er$|ing$|ation$|ational$)")
_BRITISH = {
    "programme": "program",
    "centre": "center",
    "enrolment": "enrollment",
    "labour": "labor",
    "licence": "license",
    "counselling": "counseling",
    "honour": "honor",
    "catalogue": "catalog",
    "defence": "defense",
    "ageing": "aging",
    "practise": "practice",
    "practised": "practiced",
    "practising": "practicing",
}

_IRREGULAR = {
    "women": "woman",
    "men": "man",
    "children": "child",
    "alumni": "alumnus",
    "criteria": "criterion",
    "curricula": "curriculum",
    "syllabi": "syllabus",
    "symposia": "symposium",
    "consortia": "consortium",
    "analyses": "analysis",
    "theses": "thesis",
    "indices": "index",
    "media": "medium",
    "people": "person",
}

# Words ending in s that are not plurals (or whose folding would collide with another word).
_KEEP_S = ("ss", "us", "is", "ics", "ous")


def _singular(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_KEEP_S):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"  # universities, facilities, policies
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]  # classes, approaches, taxes
    if word.endswith("uses") and not word.endswith("ouses"):
        return word[:-2]  # campuses, syllabuses (but houses → house)
    return word[:-1]


def _stems(word: str) -> list[str]:
    """Base forms a verb form may have: budgeted → budget, reduced → reduce, planned → plan,
    funding → fund. Only tried for a word the glossary lacks as written."""
    out = []
    for suffix in ("ed", "ing"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            base = word[: -len(suffix)]
            out += [base, base + "e"] + ([base[:-1]] if base[-1] == base[-2] else [])
    return out


def fold_word(word: str) -> str:
    """The form under which an English word is compared (see the module docstring)."""
    word = unicodedata.normalize("NFKC", word)
    if _ACRONYM_PLURAL.match(word):
        word = word[:-1]
    if len(word) >= 2 and word.isupper() and _common_word(word.lower()):
        return word  # IT, US: capitals only
    word = word.casefold().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("'", "")
    word = _singular(_BRITISH.get(word, word))
    return _BRITISH.get(word) or _BRITISH_ISE.sub("iz", word)


def _words(text: str) -> list[tuple[str, int, int]]:
    """(folded word, start, end) for each word of ``text``; offsets index ``text``."""
    return [(fold_word(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def phrase_key(phrase: str) -> tuple[str, ...]:
    """The folded word sequence of an English phrase, as used for matching."""
    return tuple(w for w, _, _ in _words(phrase))


# --- Japanese matching ---------------------------------------------------------------------


def _normalize_ja(text: str) -> str:
    # NFKC only changes width and compatibility forms (ＧＰＡ → GPA, （ → ( ); never the length
    # of the kana/kanji that glossary terms are made of.
    return unicodedata.normalize("NFKC", text)


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _occurrences(text: str, term: str) -> Iterator[tuple[int, int]]:
    """Start/end of each occurrence of ``term``; Latin-letter ends must sit on word boundaries
    (so TA is not found in DATA)."""
    check_start = _is_ascii_alnum(term[0])
    check_end = _is_ascii_alnum(term[-1])
    i = text.find(term)
    while i != -1:
        j = i + len(term)
        if not (check_start and i > 0 and _is_ascii_alnum(text[i - 1])) and not (
            check_end and j < len(text) and _is_ascii_alnum(text[j])
        ):
            yield i, j
        i = text.find(term, i + 1)


# --- the glossary --------------------------------------------------------------------------


class Glossary:
    """A loaded glossary: entries in file order, with indexes for both directions."""

    def __init__(self, entries: tuple[Entry, ...] | list[Entry]):
        self.entries: tuple[Entry, ...] = tuple(entries)
        self._by_ja = {e.ja: e for e in self.entries}
        phrases: dict[tuple[str, ...], list[str]] = {}
        for entry in self.entries:
            for rendering in entry.en:
                key = phrase_key(rendering)
                if key:
                    terms = phrases.setdefault(key, [])
                    if entry.ja not in terms:
                        terms.append(entry.ja)
        self._phrases = {k: tuple(v) for k, v in phrases.items()}
        self._max_words = max((len(k) for k in self._phrases), default=0)
        # For gloss(): the plans' terms (not everyday words), longest first, then file order.
        self._ja_order = sorted(
            ((_normalize_ja(e.ja), e) for e in self.entries if not e.everyday), key=lambda x: -len(x[0])
        )

    def __len__(self) -> int:
        return len(self.entries)

    def over(self, base: Glossary) -> Glossary:
        """This glossary as an override layer on `base` (the curated tables over the dictionary):
        an English phrase this one renders takes only its Japanese terms; `base` adds the
        phrases and terms this one does not have."""
        merged = {e.ja: e for e in self.entries}
        for entry in base.entries:
            renderings = tuple(r for r in entry.en if phrase_key(r) not in self._phrases)
            if not renderings:
                continue
            own = merged.get(entry.ja)
            merged[entry.ja] = (Entry(entry.ja, renderings, entry.kind) if own is None
                                else Entry(own.ja, tuple(dict.fromkeys((*own.en, *renderings))), own.kind))
        return Glossary(list(merged.values()))

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def get(self, ja: str) -> Entry | None:
        """The entry for a Japanese term, if the glossary has one."""
        return self._by_ja.get(ja)

    def lookup_en(self, phrase: str) -> tuple[str, ...]:
        """All Japanese terms rendered by exactly this English phrase (folded), else ()."""
        return self._phrases.get(phrase_key(phrase), ())

    def to_japanese(self, english_text: str) -> list[Match]:
        """Glossary phrases found in ``english_text``, in text order, without overlaps.

        Among overlapping candidates the one with more words wins (ties: the earlier one), so a
        multi-word phrase beats its parts.
        """
        words = _words(english_text)
        keys = [w for w, _, _ in words]
        # A word the glossary lacks as written may be a verb form of one it has (budgeted → budget).
        single = {i: next(s for s in _stems(k) if (s,) in self._phrases)
                  for i, k in enumerate(keys) if (k,) not in self._phrases and any((s,) in self._phrases for s in _stems(k))}
        candidates: list[tuple[int, int]] = []  # (first word, number of words)
        for i in range(len(words)):
            for n in range(min(self._max_words, len(words) - i), 0, -1):
                if tuple(keys[i : i + n]) in self._phrases or (n == 1 and i in single):
                    candidates.append((i, n))
        candidates.sort(key=lambda c: (-c[1], c[0]))
        taken = [False] * len(words)
        chosen: list[tuple[int, int]] = []
        for i, n in candidates:
            if not any(taken[i : i + n]):
                taken[i : i + n] = [True] * n
                chosen.append((i, n))
        matches = []
        for i, n in sorted(chosen):
            start, end = words[i][1], words[i + n - 1][2]
            key = tuple(keys[i : i + n])
            matches.append(Match(english_text[start:end], self._phrases.get(key) or self._phrases[(single[i],)], start, end))
        return matches

    def gloss(self, japanese_text: str) -> list[Entry]:
        """Entries whose term occurs in ``japanese_text``, longest term first (ties: earliest
        occurrence), everyday words left out. An occurrence inside a longer matched term at the
        same place does not count; an entry found only that way is left out."""
        text = _normalize_ja(japanese_text)
        spans: list[tuple[int, int]] = []
        found: list[tuple[int, int, Entry]] = []  # (-length, first position, entry)
        for term, entry in self._ja_order:
            if term not in text:  # most entries are absent: a C-speed check before the scan
                continue
            new = [
                (s, e)
                for s, e in _occurrences(text, term)
                if not any(a <= s and e <= b for a, b in spans)
            ]
            if new:
                spans.extend(new)
                found.append((-len(term), new[0][0], entry))
        found.sort(key=lambda x: (x[0], x[1]))
        return [entry for _, _, entry in found]


# --- loading -------------------------------------------------------------------------------


def parse_glossary(text: str, source: str = "<glossary>") -> Glossary:
    """Parse glossary TSV text; raise :class:`GlossaryError` naming the first bad line."""
    lines = text.splitlines()
    if not lines:
        raise GlossaryError(f"{source}: empty file; expected the header line 'ja<TAB>en<TAB>kind'")
    header = tuple(c.strip() for c in lines[0].lstrip("\ufeff").split("\t"))
    if header != HEADER:
        raise GlossaryError(f"{source}:1: expected the header 'ja<TAB>en<TAB>kind', found {lines[0]!r}")
    entries: list[Entry] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue  # blank lines (e.g. at the end of the file) are allowed
        where = f"{source}:{number}"
        columns = line.split("\t")
        if len(columns) != 3:
            raise GlossaryError(
                f"{where}: expected 3 tab-separated columns (ja, en, kind), found {len(columns)}: {line!r}"
            )
        ja, en, kind = (c.strip() for c in columns)
        for name, value in zip(HEADER, (ja, en, kind)):
            if not value:
                raise GlossaryError(f"{where}: empty {name!r} field: {line!r}")
        if kind not in KINDS:
            raise GlossaryError(f"{where}: unknown kind {kind!r}; expected one of {', '.join(sorted(KINDS))}")
        renderings: list[str] = []
        for part in en.split(EN_SEPARATOR):
            part = part.strip()
            if not part:
                raise GlossaryError(f"{where}: empty English rendering in {en!r} (renderings are separated by ' | ')")
            if not phrase_key(part):
                raise GlossaryError(f"{where}: English rendering {part!r} has no words")
            if part not in renderings:
                renderings.append(part)
        if ja in first_line:
            raise GlossaryError(f"{where}: duplicate ja term {ja!r} (first on line {first_line[ja]})")
        first_line[ja] = number
        entries.append(Entry(ja, tuple(renderings), kind))
    return Glossary(entries)


def load_glossary(path: Path | str | None = None) -> Glossary:
    """Load (and cache) a glossary; by default the one packaged with ``index``."""
    return load_data_file(Path(path) if path is not None else DEFAULT_PATH, parse_glossary, GlossaryError, "glossary")


T = TypeVar("T")


def load_data_file(path: Path, parse: Callable[[str, str], T], error: type[Exception], what: str) -> T:
    """A TSV data file parsed by ``parse(text, source)``, cached on the file's path, modification
    time and size (an edited file is read again); an unreadable one raises ``error``."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} ({exc.strerror or exc})") from exc
    return _parsed(parse, str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _parsed(parse: Callable[[str, str], T], path: str, mtime_ns: int, size: int) -> T:
    return parse(Path(path).read_text(encoding="utf-8"), path)
