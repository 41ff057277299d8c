"""Chunks: verbatim slices, one item or small section each, sized in tokens."""

import hashlib

from index.corpus import Corpus, uncovered_lines
from index.tokens import DATA_DIR, count_tokens


def test_every_chunk_is_a_verbatim_slice(corpus: Corpus):
    for chunk in corpus.chunks:
        doc = corpus.document(chunk.document_id)
        assert doc.text[chunk.span.start : chunk.span.end] == chunk.text
        lines = doc.text.split("\n")
        assert chunk.text.startswith(lines[chunk.span.line_start - 1].strip()[:10])
        assert chunk.text.endswith(lines[chunk.span.line_end - 1].strip()[-5:])


def test_chunks_stay_in_their_section_and_cover_the_text(corpus: Corpus):
    for chunk in corpus.chunks:
        section = corpus.document(chunk.document_id).section(chunk.section_id)
        assert section.span.start <= chunk.span.start and chunk.span.end <= section.span.end
    for doc in corpus.documents:
        assert uncovered_lines(doc, [c for c in corpus.chunks if c.document_id == doc.id]) == []


def test_one_item_per_chunk_never_cut(corpus: Corpus, ynu):
    s = ynu.by_label("Ⅰ-1-(1)-1)-①")
    chunks = [c for c in corpus.chunks if c.section_id == s.id]
    items = [ynu.text[i.span.start : i.span.end] for i in s.items]
    assert [c.text for c in chunks if c.kind == "item"] == items
    intro = [c for c in chunks if c.kind == "text"]
    assert intro and intro[0].text.startswith("①教養教育の成果")
    spans = [(i.span.start, i.span.end) for sec in ynu.sections for i in sec.items]
    for c in (c for c in corpus.chunks if c.document_id == ynu.id):
        for a, b in spans:  # an item is inside a chunk or outside it, never across its edge
            assert b <= c.span.start or a >= c.span.end or (c.span.start <= a and b <= c.span.end)


def test_sizes_in_tokens(corpus: Corpus):
    for chunk in corpus.chunks:
        assert chunk.tokens == count_tokens(chunk.index_text)
        assert chunk.tokens <= 400 or chunk.kind == "item"


def test_breadcrumb_and_table_rows_are_indexed(corpus: Corpus, ynu):
    chunk = next(c for c in corpus.chunks if c.label == "Ⅶ-1")
    assert chunk.index_text.startswith("国立大学法人横浜国立大学 中期計画 > 短期借入金の限度額 > 短期借入金の限度額［Ⅶ-1］")
    assert "23億円" in chunk.text
    budget = [c for c in corpus.chunks if c.label == "別紙-1" and c.kind == "table"]
    assert "収入 / 運営費交付金: 53,301 百万円" in budget[0].index_text


def test_tiktoken_encoding_ships_with_the_package():
    (path,) = DATA_DIR.iterdir()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"  # o200k_base
    assert count_tokens("中期計画") > 0
