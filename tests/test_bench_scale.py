"""The scale benchmark: its synthetic corpus and one tiny run (figures are not judged here)."""

import json
import math
import unicodedata
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

from eval import bench_scale
from index.corpus import build_corpus
from index.embed import HashingEmbedding
from tests.conftest import PLANS


def test_synthetic_plans_are_real_sections_recombined_and_seeded(tmp_path: Path) -> None:
    first = bench_scale.synthesize(PLANS, 3, tmp_path / "a")
    again = bench_scale.synthesize(PLANS, 3, tmp_path / "b")
    other = bench_scale.synthesize(PLANS, 3, tmp_path / "c", seed=bench_scale.SEED + 1)
    names = sorted(p.name for p in first.iterdir())
    assert names == ["catalog.toml", "synthetic-0001.txt", "synthetic-0002.txt", "synthetic-0003.txt"]
    assert all((first / n).read_bytes() == (again / n).read_bytes() for n in names)
    assert any((first / n).read_bytes() != (other / n).read_bytes() for n in names)

    real = {d.title: d for d in build_corpus(PLANS, 400).documents}
    real_lines = {line for d in real.values() for line in d.original.split("\n")}
    corpus = build_corpus(first, 400)
    assert corpus.report.errors == [] and [d.id for d in corpus.documents] == [f"synthetic-000{i}" for i in (1, 2, 3)]
    for doc in corpus.documents:
        source = real[doc.title.rsplit("（合成", 1)[0]]
        assert set(doc.original.split("\n")) <= real_lines  # the plans' own lines, nothing invented
        assert 0.9 * len(source.original) <= len(doc.original) <= 2 * len(source.original)  # plan-sized
        assert sum(1 for s in doc.sections if s.level == 1) >= 2  # still a section tree
        assert doc.original != source.original  # recombined, not copied


def test_growth_exponent_is_one_for_linear_cost() -> None:
    rows = [{"documents": n, "build_s": 0.5 * n, "synthetic": True} for n in (10, 100, 1000)]
    assert bench_scale.growth_exponent(rows, "build_s") == 1.0
    quadratic = [{**r, "build_s": r["documents"] ** 2} for r in rows]
    assert bench_scale.growth_exponent(quadratic, "build_s") == 2.0


def test_a_tiny_run_writes_figures_for_each_size(tmp_path: Path) -> None:
    result = bench_scale.run([3], PLANS, tmp_path / "work")
    bench_scale.write(result, tmp_path / "out")

    stored = json.loads((tmp_path / "out" / "scale.json").read_text(encoding="utf-8"))
    assert stored == result
    (row,) = stored["sizes"]
    assert row["documents"] == 3 and row["synthetic"] and row["errors"] == 0 and row["chunks"] > 0
    assert row["queries"] == len(bench_scale.load_questions())
    for key in ("build_s", "build_peak_mib", "peak_mib", "query_p50_ms", "query_p95_ms", "index_mib"):
        assert row[key] > 0
    assert row["query_p50_ms"] <= row["query_p95_ms"] and row["build_peak_mib"] <= row["peak_mib"]
    assert set(stored["targets"]) == {"build_s_at_100", "query_p50_ms_at_100", "build_exponent"}
    report = (tmp_path / "out" / "scale.md").read_text(encoding="utf-8")
    assert "| 3 | synthetic |" in report and "| build at 100 documents | ≤ 60 s | not run | — |" in report
    assert (tmp_path / "out" / "scale.png").read_bytes().startswith(b"\x89PNG")


def _counted_one_by_one(text: str, dimensions: int) -> np.ndarray:
    """The hashing embedding as first written, gram by gram: the oracle for the batched one."""
    norm = "".join(unicodedata.normalize("NFKC", text).lower().split())
    grams: Counter[str] = Counter()
    for n in (1, 2, 3):
        grams.update(norm[i : i + n] for i in range(len(norm) - n + 1))
    vec = np.zeros(dimensions, dtype=np.float32)
    for gram, tf in grams.items():
        h = zlib.crc32(gram.encode("utf-8"))
        weight = (1 + math.log(tf)) * (0.5 if len(gram) == 1 else 1.0)
        vec[h % dimensions] += weight if h & 0x80000000 else -weight
    length = float(np.linalg.norm(vec))
    return vec / length if length else vec


def test_batched_hashing_embedding_gives_the_vectors_of_counting_one_by_one(corpus) -> None:
    """Made fast for large builds, it must still give bit-identical vectors: an index built
    before keeps its meaning, and search results on the plans stay the same."""
    texts = [c.index_text for c in corpus.chunks[:300]] + ["", "  ", "a", "ＡＢ　ｃ", "😀😀x", "留学生" * 40]
    embed = HashingEmbedding(1024)
    batched = embed(texts)
    assert len(batched) == len(texts)
    for text, vector in zip(texts, batched):
        assert vector.dtype == np.float32 and vector.tobytes() == _counted_one_by_one(text, 1024).tobytes()
    assert [v.tobytes() for v in embed(texts[::-1])] == [v.tobytes() for v in batched[::-1]]  # cached crc32s, any order
