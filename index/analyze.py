"""Japanese text analysis for keyword search (BM25).

Two analyzers feed the two fields of the keyword index:

* ``terms``: Sudachi words in split mode B, as normalized forms, without function words.
  Mode B splits 外国人留学生 into 外国人 + 留学生 (mode C keeps it whole, so a search for
  留学生 would miss it) while keeping 借入金 and 限度額 whole (mode A over-splits them into
  借入 + 金, 限度 + 額). Normalized forms unify spelling variants: 受入れ, 受入 and
  受け入れ all become 受け入れ.
* ``bigrams``: overlapping character pairs of Japanese text, for recall when Sudachi cuts
  the question and the passage differently.

Both analyze ``normalize(text)`` (NFKC + lowercase) and keep English words such as GPA,
SDGs, B-U-B or e-learning as single lowercase tokens: English questions reach the index
through a glossary that leaves such acronyms as they are.

Sudachi's dictionary ships with the ``sudachidict_core`` package: nothing is downloaded.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from itertools import pairwise

from sudachipy import Dictionary, SplitMode

# Bump when the output of terms() or bigrams() changes: indexes built by another version
# must be rebuilt (the keyword index stores this number and checks it on load).
ANALYZER_VERSION = 4

SUDACHI_DICT = "core"
SUDACHI_MODE = "B"

# Sudachi refuses input over 49,149 UTF-8 bytes; stay well under it.
MAX_SUDACHI_BYTES = 40_000

# Parts of speech (first level of the UniDic tag) that carry no meaning for search:
# particles, auxiliary verbs, punctuation and symbols, white space, and conjunctions
# (及び, 並びに, 又は: legal boilerplate on every other line of a plan).
DROP_POS = frozenset({"助詞", "助動詞", "補助記号", "空白", "接続詞"})
# A pronoun (どっち, それ, 何) points at a thing without naming it.
NOT_NAMING_POS = DROP_POS | {"動詞", "形容詞", "副詞", "連体詞", "感動詞", "接尾辞", "代名詞"}

# Very common words that survive the part-of-speech filter, as Sudachi normalized forms
# (する → 為る, ある → 有る, ため → 為 ...). They occur in most passages ("…を推進する
# ため", "…することとする") and in most questions ("…について何と書いてある"), so they only
# add noise to BM25. Kept short on purpose: rarer words are handled by BM25's idf.
STOPWORDS = frozenset(
    {
        "為る",  # する
        "居る",  # いる
        "有る",  # ある
        "成る",  # なる
        "出来る",  # できる
        "こと",
        "事",
        "為",  # ため
        "よう",
        "様",
        "もの",
        "物",
        "等",  # 等 (…等), suffix on countless nouns
        "など",
        "れる",
        "られる",
        "つく",  # について
        "おく",  # において
        "よる",  # による
        "関する",  # に関する: in nearly every heading of a plan
        "下さる",  # ください
        "此れ",  # これ
        "其れ",  # それ
        "何",
        # Pointing words: a follow-up's "その中で", "そのうち", "あの件" refer back, they name nothing.
        "其の",  # その
        "此の",  # この
        "あの",
        "そこ",
        "ここ",
        "うち",
        "詳しい",
        # Question words and the verbs of asking: in every question, never what it is about.
        "どんな",
        "どこ",
        "何処",
        "どう",
        "どの",
        "どれ",
        "いつ",
        "誰",
        "幾ら",
        "如何",
        "書く",
        "教える",
    }
)

# English words (and acronyms) as whole tokens. For terms they must start with a letter:
# numbers are left to Sudachi, which reads 23億 or 1,000 as numbers.
_ASCII_WORD = re.compile(r"(?<![a-z0-9])[a-z0-9]+(?:[-_.&'][a-z0-9]+)*")
_HAS_LETTER = re.compile(r"[a-z]")
_HYPHEN = re.compile(r"[-_]")
_DIGIT_GROUP_COMMA = re.compile(r"(?<=\d),(?=\d{3})")
_NUMBER_PARTS = re.compile(r"[0-9.]+|[^0-9.]+")
_WORD_CHAR = re.compile(r"\w")

# Hiragana, katakana (with ー), CJK ideographs (with extension A, compatibility ideographs
# and the iteration mark 々/〆).
_CJK_RUN = re.compile(r"[\u3041-\u309f\u30a1-\u30ff\u3005\u3006\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_HIRAGANA_ONLY = re.compile(r"[\u3041-\u309f]+")


def japanese_runs(text: str) -> list[str]:
    """The Japanese pieces of a text in another script: 収容定員 and 工学部 in "What is the
    収容定員 of the 工学部?"."""
    return _CJK_RUN.findall(text)


_LATIN = re.compile(r"[A-Za-z]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
# Words that make a sentence English whatever terms it quotes (a Japanese question quoting an
# English name has at most one: 「"Society 5.0 for SDGs"の記述は？」).
_ENGLISH_GRAMMAR = frozenset("""what which who whom whose when where why how is are was were do does did the of in for
to about and a an can will there any this that""".split())


def detect_language(text: str) -> str:
    """The language a question is written in: its grammar's, not its terms'. "What is the 収容定員
    of the 工学部?" is English quoting the plans' Japanese; 「TOEICの点数は？」 is Japanese."""
    if not _CJK_RUN.search(text):
        return "en" if _LATIN.search(text) else "other"
    words = _LATIN_WORD.findall(text)
    grammar = sum(w.lower() in _ENGLISH_GRAMMAR for w in words)
    return "en" if grammar >= 2 and len(words) >= len(japanese_runs(text)) else "ja"


def normalize(text: str) -> str:
    """NFKC + lowercase: full-width ＧＰＡ, half-width ｶﾀｶﾅ and GPA/gpa index alike.

    Applied to what is indexed or queried only; shown text keeps its original form.
    """
    return unicodedata.normalize("NFKC", text).lower()


# --- Sudachi ------------------------------------------------------------------------

_dictionary: Dictionary | None = None
_dictionary_lock = threading.Lock()
_local = threading.local()


def _sudachi_dictionary() -> Dictionary:
    global _dictionary
    if _dictionary is None:
        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict=SUDACHI_DICT)
    return _dictionary


def _tokenizer():
    """The Sudachi tokenizer, created once per thread (the dictionary once per process).

    Loading the dictionary is the slow part; Sudachi tokenizers are not meant to be
    shared between threads, so each thread gets its own over the shared dictionary.
    """
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        dictionary = _sudachi_dictionary()
        make = getattr(dictionary, "tokenizer", None) or dictionary.create  # 0.7 / 0.6
        tok = make(mode=getattr(SplitMode, SUDACHI_MODE))
        _local.tokenizer = tok
    return tok


def _byte_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _pieces(text: str, limit: int = MAX_SUDACHI_BYTES) -> Iterator[str]:
    """Split text into pieces of at most ``limit`` UTF-8 bytes for Sudachi.

    Cuts at line ends first, then after 。, then at spaces and 、, and as a last resort
    anywhere (between characters). Concatenating the pieces gives back ``text``.
    """
    if len(text) * 4 <= limit or _byte_len(text) <= limit:
        if text:
            yield text
        return
    yield from _pack(text, limit, ("\n", "。", " ", "、"))


def _pack(text: str, limit: int, separators: tuple[str, ...]) -> Iterator[str]:
    if not separators:
        # Hard cut: walk characters, never splitting one.
        start, size = 0, 0
        for i, ch in enumerate(text):
            n = _byte_len(ch)
            if size + n > limit:
                yield text[start:i]
                start, size = i, 0
            size += n
        if start < len(text):
            yield text[start:]
        return
    sep, rest = separators[0], separators[1:]
    parts = text.split(sep)
    parts = [p + sep for p in parts[:-1]] + [parts[-1]]
    buffer, size = [], 0
    for part in parts:
        n = _byte_len(part)
        if n > limit:
            if buffer:
                yield "".join(buffer)
                buffer, size = [], 0
            yield from _pack(part, limit, rest)
            continue
        if size + n > limit:
            yield "".join(buffer)
            buffer, size = [], 0
        buffer.append(part)
        size += n
    if buffer and size:
        yield "".join(buffer)


def _ascii_tokens(word: str) -> list[str]:
    """An English word, plus the parts of a hyphenated one: e-learning → e-learning, learning.

    Single-letter parts (b-u-b) are not emitted on their own.
    """
    tokens = [word]
    parts = _HYPHEN.split(word)
    if len(parts) > 1:
        tokens.extend(p for p in parts if len(p) > 1)
    return tokens


def _number_tokens(surface: str, normalized_form: str) -> list[str]:
    """23億 → 23, 億 and its value 2300000000; 1,000 → 1000; 二十三 → 二十三, 23.

    The written parts make "23億円" findable from 23億円 or 23; the value unifies numbers
    written in kanji and in digits.
    """
    surface = _DIGIT_GROUP_COMMA.sub("", surface)
    tokens = _NUMBER_PARTS.findall(surface)
    value = normalized_form.lower()
    if value and value not in tokens:
        tokens.append(value)
    return tokens


def _terms_of_piece(piece: str, out: list[str], drop: frozenset[str] = DROP_POS) -> None:
    for pos, tokens in _words_of_piece(piece):
        if pos not in drop:
            out.extend(tokens)


@lru_cache(maxsize=256)
def _words_of_piece(piece: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The words of ``piece`` as (part of speech, tokens), stopwords left out. One Sudachi pass
    serves every choice of parts of speech to drop: an answer analyses its question for its
    terms and for its nouns. The cache is small on purpose: enough for the answers in flight,
    too small to answer a repeated question from memory."""
    morphemes = _tokenizer().tokenize(piece)
    # English words Sudachi cuts into morphemes (B-U-B → B, -, U, -, B) are taken whole,
    # as long as the word starts and ends on morpheme boundaries.
    words: dict[int, tuple[int, str]] = {}
    ascii_words = [m for m in _ASCII_WORD.finditer(piece) if m.group()[0].isalpha()]
    if ascii_words:
        starts = {m.begin() for m in morphemes}
        ends = {m.end() for m in morphemes}
        words = {m.start(): (m.end(), m.group()) for m in ascii_words if m.start() in starts and m.end() in ends}
    out: list[tuple[str, tuple[str, ...]]] = []
    skip_until = -1
    for m in morphemes:
        begin = m.begin()
        if begin < skip_until:
            continue
        if begin in words:
            skip_until, word = words[begin]
            out.append(("", tuple(_ascii_tokens(word))))  # no part of speech: never dropped
            continue
        pos = _part_of_speech(m.part_of_speech_id())
        if pos == ("形状詞", "助動詞語幹"):  # みたい (…みたいな): an auxiliary verb's stem, like よう
            pos = ("助動詞", "*")
        surface = m.surface()
        if pos[1] == "数詞":
            out.append((pos[0], tuple(_number_tokens(surface, m.normalized_form()))))
            continue
        token = _token(surface.lower() if surface.isascii() else m.normalized_form().lower())
        if token:
            out.append((pos[0], (token,)))
    return tuple(out)


@lru_cache(maxsize=None)
def _part_of_speech(pos_id: int) -> tuple[str, str]:
    """The first two levels of a Sudachi part of speech (a few hundred ids in the dictionary)."""
    return tuple(_sudachi_dictionary().pos_of(pos_id)[:2])  # type: ignore[return-value]


@lru_cache(maxsize=65_536)
def _token(word: str) -> str | None:
    """A word as indexed, or None for a stopword or a word with no word character."""
    return None if word in STOPWORDS or not _WORD_CHAR.search(word) else word


def terms(text: str, drop: frozenset[str] = DROP_POS) -> list[str]:
    """Normalized Sudachi words (mode B) of ``text``, for the BM25 ``terms`` field.

    Particles, auxiliary verbs, punctuation, conjunctions and STOPWORDS are dropped (or the
    parts of speech in ``drop``); numbers and English words are kept (lowercase). Any length
    of input is accepted.
    """
    out: list[str] = []
    normalized = normalize(text)
    if not normalized.strip():
        return out
    for piece in _pieces(normalized):
        if piece.strip():
            _terms_of_piece(piece, out, drop)
    return out


def normalized_words(text: str) -> list[str]:
    """Every word of ``text`` as Sudachi's normalized form (lowercase), none dropped but
    punctuation and spaces: to find a phrase however it is inflected or spelled (「来なくなった」
    holds 「来ない」: 来る + ない)."""
    return [m.normalized_form().lower() for piece in _pieces(normalize(text)) for m in _tokenizer().tokenize(piece)
            if _part_of_speech(m.part_of_speech_id())[0] not in ("補助記号", "空白")]


# Words that say how a question is asked, not what about (…する予定？, …って話はある？,
# 具体的には？, いくつ？, 何人？, 何%？): in a question they name nothing, though a plan may use
# them (「担保に供する計画の予定はない」), so they are dropped from questions only.
ASKING_WORDS = frozenset({"予定", "積もり", "話", "感じ", "具体", "具体的", "一言", "詳細", "辺り", "所", "幾つ", "何人", "何"})


@lru_cache(maxsize=256)
def without_asking_words(question: str) -> str:
    """``question``, normalized, with its ASKING_WORDS blanked out: what it names, to be searched."""
    return "".join(_blank_asking_words(piece) for piece in _pieces(normalize(question)))


def _blank_asking_words(piece: str) -> str:
    out = piece
    for m in reversed(list(_tokenizer().tokenize(piece))):
        if m.normalized_form() in ASKING_WORDS:
            out = out[: m.begin()] + " " + out[m.end() :]
    return out


def nouns(text: str) -> list[str]:
    """The terms of ``text`` that name things (nouns, adjectival nouns, English words, numbers):
    what a question is about. Its verbs and adverbs say how it is asked (増やす, 作る, どうやって),
    and an everyday verb is rarely the plan's own."""
    return terms(text, NOT_NAMING_POS)


def parts(text: str) -> list[str]:
    """The words inside the compound nouns of ``text`` (Sudachi mode A, normalized, two
    characters or more): 方向 in 方向性, 借入 in 借入金. A question's own word names what the
    plan's compound holds ("組織の見直しの方向" is 「見直しの方向性」)."""
    out: list[str] = []
    for piece in _pieces(normalize(text)):
        for m in _tokenizer().tokenize(piece):
            if _part_of_speech(m.part_of_speech_id())[0] in NOT_NAMING_POS:
                continue
            inner = m.split(SplitMode.A)
            if len(inner) > 1:
                out += [w for p in inner if len(w := p.normalized_form().lower()) > 1 and _token(w)
                        and _part_of_speech(p.part_of_speech_id())[0] not in NOT_NAMING_POS]
    return out


@lru_cache(maxsize=65_536)
def names_a_person(text: str) -> bool:
    """Whether ``text`` names a person: a surname followed by a given name (大野英男), as Sudachi
    tags them; one name alone is too often a word (出島, 金)."""
    for piece in _pieces(normalize(text)):
        pos = [m.part_of_speech()[2:4] for m in _tokenizer().tokenize(piece)]
        if any(a == ("人名", "姓") and b == ("人名", "名") for a, b in pairwise(pos)):
            return True
    return False


_NAME_RUN = re.compile(r"[一-龥々ァ-ヶー]+")


@lru_cache(maxsize=65_536)
def proper_nouns(text: str, countries: bool = True) -> frozenset[str]:
    """The names of places and institutions ``text`` holds: each word Sudachi tags a proper noun
    (not a person's name; a country's only if `countries`), with the kanji and katakana around it
    (横浜 in 横浜市立大学 is 横浜市立大学): what answers 「どこ？」."""
    found = set()
    for piece in _pieces(normalize(text)):
        runs = [(m.start(), m.end()) for m in _NAME_RUN.finditer(piece)]
        for m in _tokenizer().tokenize(piece):
            pos = m.part_of_speech()
            if pos[1] == "固有名詞" and pos[2] != "人名" and (countries or pos[3] != "国"):
                start, end = next(((a, b) for a, b in runs if a <= m.begin() < b), (m.begin(), m.end()))
                found.add(piece[start:end])
    return frozenset(found)


@lru_cache(maxsize=65_536)
def synonym_groups(word: str) -> tuple[int, ...]:
    """Sudachi's synonym groups of ``word`` when it is one word (賃金 and 給与 share one, 寮 and
    宿舎 another), else none."""
    morphemes = _tokenizer().tokenize(normalize(word))
    return tuple(morphemes[0].synonym_group_ids()) if len(morphemes) == 1 else ()


def bigrams(text: str) -> list[str]:
    """Character bigrams of Japanese runs of ``normalize(text)``, plus English words.

    Bigrams never cross punctuation, spaces or English; a one-character run is kept as a
    unigram. Pairs of hiragana only (する, ため, ること) are skipped: they are inflections
    and particles, and the terms field covers words. Numbers and English words are whole
    tokens (23億円 → 23, 億円).
    """
    normalized = _DIGIT_GROUP_COMMA.sub("", normalize(text))
    out: list[str] = []
    pos = 0
    # Walk the text once, emitting tokens in order of appearance.
    for match in _CJK_RUN.finditer(normalized):
        _ascii_into(normalized[pos : match.start()], out)
        pos = match.end()
        run = match.group()
        if len(run) == 1:
            if not _HIRAGANA_ONLY.fullmatch(run):
                out.append(run)
            continue
        for i in range(len(run) - 1):
            pair = run[i : i + 2]
            if not _HIRAGANA_ONLY.fullmatch(pair):
                out.append(pair)
    _ascii_into(normalized[pos:], out)
    return out


def _ascii_into(segment: str, out: list[str]) -> None:
    if segment:
        for match in _ASCII_WORD.finditer(segment):
            out.extend(_ascii_tokens(match.group()))
