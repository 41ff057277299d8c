"""The reading of plans fuzzed (hypothesis): loaders, parser and analyzer given anything.

- `index.load.load_bytes`: any bytes under any supported suffix (also bytes that start like a
  PDF, a zip, HTML, and zips and PDFs built from random parts) give text or a `LoadError`,
  never another exception; and any text as UTF-8, Shift_JIS or EUC-JP, or as a DOCX's
  paragraphs, loads as itself (a PDF's lines with their words);
- `index.corpus.parse_document`: random plan-like text mixing every marker kind (Ⅰ 1 (1) 1) ①
  【】 第N章 …) parses into a tree (ids and labels unique, sections in order inside their
  parents) in which every line is the header's or one section's, and in one of its chunks;
- `index.analyze`: any string gives tokens.

No case may take longer than `CASE_SECONDS` (a hang). The number of cases tried per target is
written to eval/results/fuzz.json (beside the API's) and printed.
"""

from __future__ import annotations

import io
import json
import signal
import tempfile
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.analyze import bigrams, normalize, nouns, terms
from index.catalog import CatalogEntry
from index.chunk import chunk_document
from index.corpus import parse_document
from index.document import Chunk, Document, Section
from index.load import SUPPORTED_SUFFIXES, LoadedText, LoadError, load_bytes
from index.sections import split_lines
from tests.conftest import PLANS
from tests.test_load import make_pdf

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "eval" / "results" / "fuzz.json"
CASE_SECONDS = 30  # a case taking longer than this is a hang, not slowness
FUZZ = settings(max_examples=500, deadline=None, database=None, suppress_health_check=list(HealthCheck))

tried: Counter[str] = Counter()


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail (TimeoutError) instead of hanging: a bound on a hang, far above any normal run."""

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def record(tool: str, counts: Counter[str], **extra: Any) -> None:
    """Put one tool's case counts into eval/results/fuzz.json (each fuzzing module has its own key)
    and print them."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    try:
        results = json.loads(RESULTS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        results = {}
    results[tool] = {**extra, "cases": dict(sorted(counts.items())), "total": sum(counts.values())}
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\n{tool}: {sum(counts.values())} cases -> {RESULTS}")
    for name, n in sorted(counts.items()):
        print(f"  {n:5d}  {name}")
    for name, value in extra.items():
        print(f"  {name}: {value}")


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    record("hypothesis", tried, max_examples=FUZZ.max_examples)


# --- loaders ----------------------------------------------------------------------------------

SUFFIXES = st.sampled_from(sorted(SUPPORTED_SUFFIXES))
PREFIXES = st.sampled_from([b"", b"%PDF-1.4\n", b"PK\x03\x04", b"<html><body><p>", b"\xef\xbb\xbf", b"\x81\x40"])
PDF_PARTS = st.sampled_from([
    b"%PDF-1.4\n", b"1 0 obj\n", b"endobj\n", b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>", b"<< /Length 20 /Filter /FlateDecode >>", b"stream\n",
    b"\nendstream\n", b"xref\n0 5\n", b"0000000000 65535 f \n", b"trailer\n<< /Root 1 0 R /Size 5 >>\n",
    b"startxref\n9\n%%EOF\n", b"BT /F1 12 Tf (abc) Tj ET", b"/Count 99999999", b"[", b"]", b"<<", b">>", b"(", b")",
    zlib.compress(b"BT (x) Tj ET" * 50), zlib.compress(b"\x00" * 200_000),
])


def _loads_or_refuses(data: bytes, name: str) -> None:
    with time_limit(CASE_SECONDS):
        try:
            loaded = load_bytes(data, name)
        except LoadError as exc:
            assert str(exc).startswith(name + ": "), exc
            return
    assert isinstance(loaded, LoadedText) and loaded.text.strip() and "\r" not in loaded.text


@FUZZ
@given(prefix=PREFIXES, data=st.binary(max_size=4096), suffix=SUFFIXES)
def test_any_bytes_load_or_give_a_load_error(prefix: bytes, data: bytes, suffix: str):
    tried["load_bytes: random bytes"] += 1
    _loads_or_refuses(prefix + data, f"plan{suffix}")


@FUZZ
@given(parts=st.lists(st.one_of(PDF_PARTS, st.binary(max_size=64)), max_size=40))
def test_pdf_like_bytes_load_or_give_a_load_error(parts: list[bytes]):
    tried["load_bytes: PDF-like structure"] += 1
    _loads_or_refuses(b"%PDF-1.4\n" + b"".join(parts), "plan.pdf")


@st.composite
def zip_packages(draw: st.DrawFn) -> bytes:
    """Zips with DOCX-like member names and random (or XML-like) contents."""
    names = ["word/document.xml", "[Content_Types].xml", "_rels/.rels", "word/_rels/document.xml.rels", "x/../y"]
    contents = st.one_of(st.binary(max_size=512), st.text(max_size=200).map(str.encode), st.just(
        b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>1. text</w:t></w:r></w:p></w:body></w:document>"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))) as package:
        for name in draw(st.lists(st.sampled_from(names), max_size=5, unique=True)):
            package.writestr(name, draw(contents))
    data = buffer.getvalue()
    cut = draw(st.integers(0, len(data)))  # sometimes truncated
    return data if draw(st.booleans()) else data[:cut]


@FUZZ
@given(data=zip_packages())
def test_zip_packages_load_or_give_a_load_error(data: bytes):
    tried["load_bytes: DOCX-like zip"] += 1
    _loads_or_refuses(data, "plan.docx")


# A loader that refused everything would pass the three tests above: text that is a plan's
# must load, and load as itself.

def _encodes(character: str, codec: str) -> bool:
    try:
        character.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


LINE = st.text(st.characters(exclude_categories=("Cs", "Cc", "Co"), exclude_characters="\ufeff\ufffd"), max_size=40)
TEXTS = st.lists(LINE, min_size=1, max_size=12).map("\n".join).filter(str.strip)
JIS = "、。「」・" + "".join(c for c in map(chr, range(0x3041, 0x9FA0)) if _encodes(c, "cp932") and _encodes(c, "euc_jp"))
JIS_TEXTS = st.lists(st.text(st.sampled_from(JIS + "0123456789,. "), min_size=1, max_size=40).filter(
    lambda line: any("\u4e00" <= c <= "\u9fff" for c in line)), min_size=1, max_size=12).map("\n".join).filter(
    lambda text: len(text) >= 10)  # shorter, Shift_JIS bytes can be UTF-8 too (痰゛ is ႁJ): no guess can tell


@FUZZ
@given(text=TEXTS, bom=st.booleans(), newline=st.sampled_from(["\n", "\r\n", "\r"]), suffix=st.sampled_from([".txt", ".md"]))
def test_utf8_text_loads_as_itself(text: str, bom: bool, newline: str, suffix: str):
    tried["load_bytes: UTF-8 text"] += 1
    data = (b"\xef\xbb\xbf" if bom else b"") + text.replace("\n", newline).encode("utf-8")
    loaded = load_bytes(data, f"plan{suffix}")
    assert (loaded.text, loaded.encoding, loaded.format) == (text, "utf-8", suffix[1:])


@FUZZ
@given(text=JIS_TEXTS, codec=st.sampled_from(["cp932", "euc_jp"]))
def test_shift_jis_and_euc_jp_text_loads_as_itself(text: str, codec: str):
    tried["load_bytes: Shift_JIS and EUC-JP text"] += 1
    loaded = load_bytes(text.encode(codec), "plan.txt")
    assert (loaded.text, loaded.encoding) == (text, codec)


@FUZZ
@given(lines=st.lists(LINE, min_size=1, max_size=12).filter(lambda lines: "".join(lines).strip()))
def test_a_docx_loads_as_its_paragraphs(lines: list[str]):
    tried["load_bytes: DOCX paragraphs"] += 1
    package = docx.Document()
    for line in lines:
        package.add_paragraph(line)
    data = io.BytesIO()
    package.save(data)
    assert load_bytes(data.getvalue(), "plan.docx").text == "\n".join(lines)


# The characters the bundled plans print: a rarer kanji can come back as "(cid:8561)" (瑢), a
# limit of the PDF's font encoding that a plan's text does not reach.
PLAN_CHARACTERS = sorted({c for plan in PLANS.glob("*.txt") for c in plan.read_text(encoding="utf-8")
                          if not c.isspace() and unicodedata.category(c)[0] != "C"})


@FUZZ
@given(lines=st.lists(st.text(st.sampled_from([*PLAN_CHARACTERS, " "]), min_size=1, max_size=40).filter(str.strip),
                      min_size=1, max_size=12))
def test_a_pdf_loads_with_the_words_of_its_lines(lines: list[str]):
    tried["load_bytes: PDF lines"] += 1
    with tempfile.TemporaryDirectory() as folder:
        data = make_pdf(Path(folder) / "plan.pdf", lines).read_bytes()
    loaded = _words(load_bytes(data, "plan.pdf").text)
    assert all(_words(line) in loaded for line in lines), (lines, loaded)


def _words(text: str) -> str:
    """Text as a PDF's extraction can give it back: spaced as it likes, a kanji sometimes as
    its Kangxi-radical twin (丨 as ⼁, which NFKC folds back; `index.repair` does so later)."""
    return "".join(unicodedata.normalize("NFKC", text).split())


# --- the section parser -------------------------------------------------------------------------

MARKERS = ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅹ", "1", "2", "10", "(1)", "(2)", "（1）", "1)", "2)", "①", "②", "⑳", "(①)", "1.", "2.",
           "a.", "b.", "【", "〔", "第1章", "第2章", "第十章", "第", "別表", "別紙", "- ", "・", "T", "U", "@", "ターゲット1", ""]
WORDS = ["教育", "研究", "の", "に関する", "目標", "措置", "】", "〕", "。", "、", "23億円", "学生", "(", ")", "1", "Ⅰ", "①",
         "　", " ", "\t", "収入", "運営費交付金", "53,301", "百万円", "計", "x", "A(y)=D(y)+E(y)"]


@st.composite
def plan_lines(draw: st.DrawFn) -> str:
    indent = draw(st.sampled_from(["", " ", "  ", "　", "\t"]))
    marker = draw(st.sampled_from(MARKERS))
    gap = draw(st.sampled_from(["", " ", "　"]))
    body = "".join(draw(st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=3)), max_size=8)))
    return indent + marker + gap + body


PLAN_TEXTS = st.one_of(
    st.lists(plan_lines(), min_size=1, max_size=60).map("\n".join),
    st.lists(st.one_of(plan_lines(), st.text(max_size=40)), min_size=1, max_size=30).map(
        lambda lines: "\n".join(lines).replace("\r", "\n")),
)
ENTRY = CatalogEntry(id="fuzz-plan", file="fuzz-plan.txt", title="fuzz")


def _inside(span, text: str) -> bool:
    return 0 <= span.start <= span.end <= len(text) and 1 <= span.line_start <= span.line_end <= text.count("\n") + 1


def _tree_holds(sections: list[Section]) -> None:
    """Ids and labels unique; own spans in document order, none overlapping; each section inside
    its parent's subtree, one level below it, and named among its children; items inside their
    section's own text."""
    assert len({s.id for s in sections}) == len(sections)
    labels = [s.label for s in sections]
    assert len(set(labels)) == len(labels), sorted(label for label in labels if labels.count(label) > 1)
    by_id = {s.id: s for s in sections}
    for before, after in zip(sections, sections[1:]):
        assert before.span.end <= after.span.start and before.span.line_end < after.span.line_start, (before.label, after.label)
    for s in sections:
        assert s.span.end <= s.end, s.label
        assert all(s.span.start <= i.span.start <= i.span.end <= s.span.end for i in s.items), s.label
        if s.parent_id is None:
            assert s.level == 1, s.label
            continue
        parent = by_id[s.parent_id]
        assert s.id in parent.children and s.level == parent.level + 1, s.label
        assert parent.span.start <= s.span.start and s.end <= parent.end, (parent.label, s.label)


def _every_line_accounted_for(doc: Document, chunks: list[Chunk]) -> None:
    """Each non-blank line of the text is the metadata header's or in exactly one section's own
    text, and, but for a section's heading line, in one of that section's chunks."""
    header = set(doc.meta["header_lines"])
    owner: dict[int, Section] = {}
    for s in doc.sections:
        for no in range(s.span.line_start, s.span.line_end + 1):
            assert no not in owner and no not in header, (no, s.label)
            owner[no] = s
    chunked = {(c.section_id, no) for c in chunks for no in range(c.span.line_start, c.span.line_end + 1)}
    for line in split_lines(doc.text):
        if line.blank or line.no in header:
            continue
        s = owner.get(line.no)
        assert s is not None, (line.no, line.raw)
        assert s.span.start <= line.start + line.indent and line.text_end <= s.span.end, (line.no, s.label)
        assert line.no == s.span.line_start or (s.id, line.no) in chunked, (line.no, s.label)


@FUZZ
@given(text=PLAN_TEXTS)
def test_plan_like_text_parses_into_a_tree_that_holds_every_line(text: str):
    tried["parse_document: plan-like text"] += 1
    with time_limit(CASE_SECONDS):
        doc = parse_document(LoadedText(Path(ENTRY.file), text, "txt", "utf-8"), ENTRY)
        chunks = chunk_document(doc, 400)
    assert doc.text.count("\n") == text.replace("\r\n", "\n").replace("\r", "\n").count("\n")  # repairs keep the lines
    for s in doc.sections:
        assert _inside(s.span, doc.text), (s.label, s.span, len(doc.text))
        assert 0 <= s.end <= len(doc.text), (s.label, s.end)
        assert all(_inside(item.span, doc.text) for item in s.items), s.label
        assert all(_inside(table.span, doc.text) for table in s.tables), s.label
    by_id = {s.id: s for s in doc.sections}
    for c in chunks:
        own = by_id[c.section_id].span
        assert _inside(c.span, doc.text) and c.text == doc.text[c.span.start:c.span.end]
        assert own.start <= c.span.start <= c.span.end <= own.end, (c.id, c.span, own)
    _tree_holds(doc.sections)
    _every_line_accounted_for(doc, chunks)


# --- the analyzer -------------------------------------------------------------------------------

ANY_TEXT = st.one_of(st.text(max_size=300), st.text(min_size=1, max_size=12).map(lambda s: s * 4000))  # past Sudachi's limit


@FUZZ
@given(text=ANY_TEXT)
def test_any_string_gives_tokens(text: str):
    tried["analyze: any string"] += 1
    with time_limit(CASE_SECONDS):
        normalized, words, named, pairs = normalize(text), terms(text), nouns(text), bigrams(text)
    assert isinstance(normalized, str)
    assert all(isinstance(t, str) and t for t in words + named + pairs)
    assert set(named) <= set(words)
