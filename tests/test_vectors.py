"""The in-memory exact vector search agrees with Chroma's, and is what the searcher uses."""

from assistant.retrieve import Searcher
from index import store
from index.vectors import ExactVectors

QUESTIONS = ["短期借入金の限度額", "留学生の受け入れ", "What is the limit on short-term borrowing?", "教員の公募制"]


def test_exact_scan_ranks_as_chroma_does(searcher: Searcher):
    exact = ExactVectors.read(searcher.collection)
    assert len(exact.ids) == len(searcher.chunks)
    for question in QUESTIONS:
        embedding = searcher.embedding([question])[0].tolist()
        ours = exact.nearest(embedding, 10)
        chroma = store.query(searcher.collection, embedding, 10, None)
        assert [i for i, _ in ours][:5] == [i for i, _ in chroma][:5]
        assert all(abs(a - b) < 1e-4 for (_, a), (_, b) in zip(ours, chroma))


def test_document_filter_and_small_k(searcher: Searcher):
    exact = ExactVectors.read(searcher.collection)
    embedding = searcher.embedding(["国際戦略"])[0].tolist()
    hits = exact.nearest(embedding, 20, ["tohoku-intl-strategy"])
    assert len(hits) == 20 and all(searcher.chunks[i].document_id == "tohoku-intl-strategy" for i, _ in hits)
    assert exact.nearest(embedding, 0) == [] and len(exact.nearest(embedding, 10_000)) == len(exact.ids)


def test_the_searcher_scans_a_small_collection(searcher: Searcher):
    assert searcher.vectors is not None and len(searcher.vectors.ids) == len(searcher.chunks)
