"""BM25 keyword search over the real plans, with real Sudachi and real bm25s."""

import json
import re
from pathlib import Path

import pytest

from index import analyze
from index.keyword import KeywordIndex, KeywordIndexError

PLANS = Path(__file__).resolve().parents[1] / "plans"

QUERIES = [
    "短期借入金の限度額はいくらですか",
    "留学生の受け入れについて何と書いてある？",
    "GPA",
    "SDGs",
    "B-U-B",
    "国際共同研究",
    "e-learning",
]


def _paragraphs() -> tuple[list[str], list[str]]:
    ids, texts = [], []
    for path in sorted(PLANS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for n, paragraph in enumerate(re.split(r"\n\s*\n", text)):
            if paragraph.strip():
                ids.append(f"{path.stem}#{n}")
                texts.append(paragraph)
    return ids, texts


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    ids, texts = _paragraphs()
    assert len(ids) > 100
    return dict(zip(ids, texts))


@pytest.fixture(scope="module")
def plan_index(corpus) -> KeywordIndex:
    return KeywordIndex.build(list(corpus), list(corpus.values()))


def test_short_term_borrowing_question_finds_the_limit(plan_index, corpus):
    hits = plan_index.search("短期借入金の限度額はいくらですか")
    assert "23億円" in corpus[hits[0][0]]
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0


def test_question_about_international_students(plan_index, corpus):
    hits = plan_index.search("留学生の受け入れについて何と書いてある？", k=5)
    assert len(hits) == 5
    assert all("留学生" in corpus[i] for i, _ in hits)
    # The plan writes 留学生の受入 (no okurigana); the normalized form 受け入れ matches it.
    top = corpus[hits[0][0]]
    assert "留学生の受入" in top and "受け入れ" not in top


def test_english_acronyms(plan_index, corpus):
    for query, needle in [("GPA", "GPA"), ("SDGs", "SDGs"), ("B-U-B", "B-U-B"), ("e-learning", "e-learning")]:
        hits = plan_index.search(query)
        assert hits, query
        assert all(needle in corpus[i] for i, _ in hits), query


def test_ryugakusei_finds_gaikokujin_ryugakusei():
    index = KeywordIndex.build(
        ["a", "b", "c"],
        ["外国人留学生の受入れを推進する。", "教養教育を充実する。", "留学生の受入れ体制を整備する。"],
    )
    assert {i for i, _ in index.search("留学生")} == {"a", "c"}
    assert {i for i, _ in index.search("受け入れ")} == {"a", "c"}


@pytest.mark.parametrize("query", ["ズワイガニ漁獲量", "ペンギン", "xyzzy qwerty", "", "   ", "\u3000\n", "の", "、。", "することとする"])
def test_queries_without_known_tokens_return_nothing(plan_index, query):
    assert plan_index.search(query) == []


def test_k_larger_than_corpus():
    index = KeywordIndex.build(["a", "b"], ["留学生の受入れ", "外国人留学生"])
    hits = index.search("留学生", k=100)
    assert sorted(i for i, _ in hits) == ["a", "b"]
    assert index.search("留学生", k=1) == hits[:1]
    assert index.search("留学生", k=0) == []


def test_k_larger_than_plan_corpus(plan_index, corpus):
    hits = plan_index.search("大学", k=10 * len(corpus))
    assert 0 < len(hits) <= len(corpus)
    assert len({i for i, _ in hits}) == len(hits)


def test_empty_corpus(tmp_path):
    index = KeywordIndex.build([], [])
    assert len(index) == 0
    assert index.search("留学生") == []
    index.save(tmp_path / "kw")
    assert KeywordIndex.load(tmp_path / "kw").search("留学生") == []


def test_corpus_of_empty_passages():
    index = KeywordIndex.build(["a", "b", "c"], ["", "。、", "留学生"])
    assert index.search("留学生") == [("c", pytest.approx(1 / 61 + 0.5 / 61))]
    assert KeywordIndex.build(["a"], [" "]).search("留学生") == []


def test_build_rejects_bad_input():
    with pytest.raises(ValueError):
        KeywordIndex.build(["a"], ["x", "y"])
    with pytest.raises(ValueError):
        KeywordIndex.build(["a", "a"], ["x", "y"])


def test_fusion_weights(plan_index):
    default = plan_index.search("短期借入金")
    terms_only = plan_index.search("短期借入金", bigrams_weight=0)
    bigrams_only = plan_index.search("短期借入金", terms_weight=0)
    assert default[0][0] == terms_only[0][0] == bigrams_only[0][0]
    assert terms_only[0][1] == pytest.approx(1 / 61)
    assert default[0][1] == pytest.approx(1 / 61 + 0.5 / 61)
    assert plan_index.search("短期借入金", terms_weight=0, bigrams_weight=0) == []


def test_save_load_round_trip(plan_index, tmp_path):
    folder = tmp_path / "keyword"
    plan_index.save(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["documents"] == len(plan_index)
    loaded = KeywordIndex.load(folder)
    assert loaded.ids == plan_index.ids
    for query in QUERIES:
        assert loaded.search(query, k=50) == plan_index.search(query, k=50)
    # Saving again over the same folder replaces the index.
    small = KeywordIndex.build(["x"], ["留学生"])
    small.save(folder)
    assert KeywordIndex.load(folder).search("留学生の受入れ") == small.search("留学生の受入れ")


def _corrupt_missing_manifest(folder: Path) -> None:
    (folder / "manifest.json").unlink()


def _corrupt_manifest_json(folder: Path) -> None:
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")


def _corrupt_truncated_array(folder: Path) -> None:
    path = folder / "terms" / "data.csc.index.npy"
    path.write_bytes(path.read_bytes()[:40])


def _corrupt_vocab(folder: Path) -> None:
    (folder / "bigrams" / "vocab.index.json").write_text("[1, 2", encoding="utf-8")


def _corrupt_missing_field(folder: Path) -> None:
    for path in (folder / "terms").iterdir():
        path.unlink()


def _corrupt_ids(folder: Path) -> None:
    (folder / "ids.json").write_text(json.dumps(["only-one"]), encoding="utf-8")


def _corrupt_old_analyzer(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["analyzer_version"] = analyze.ANALYZER_VERSION - 1
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(
    "corrupt",
    [
        _corrupt_missing_manifest,
        _corrupt_manifest_json,
        _corrupt_truncated_array,
        _corrupt_vocab,
        _corrupt_missing_field,
        _corrupt_ids,
        _corrupt_old_analyzer,
    ],
)
def test_load_of_a_broken_folder_says_to_rebuild(tmp_path, corrupt):
    folder = tmp_path / "keyword"
    KeywordIndex.build(["a", "b"], ["外国人留学生の受入れ", "短期借入金の限度額 23億円"]).save(folder)
    corrupt(folder)
    with pytest.raises(KeywordIndexError, match="rebuild with `plan-assistant index build`"):
        KeywordIndex.load(folder)


def test_load_of_a_missing_folder_says_to_rebuild(tmp_path):
    with pytest.raises(KeywordIndexError, match="plan-assistant index build"):
        KeywordIndex.load(tmp_path / "nowhere")


def test_expansion_words_weigh_less_than_the_querys_own():
    """Words inferred for a question (a thesaurus's plan terms) count half: a passage holding
    the question's own word outranks one holding only an inferred word, which a plain query of
    both words would rank first (a tie, broken by passage order)."""
    index = KeywordIndex.build(["inferred", "own", "other"], ["短期借入金の限度額", "学生寮の整備", "教育課程の編成"])
    assert [i for i, _ in index.search("学生寮 短期借入金")][:2] == ["inferred", "own"]
    assert [i for i, _ in index.search("学生寮", expansion="短期借入金")][:2] == ["own", "inferred"]
    assert [i for i, _ in index.search("学生寮", expansion="学生寮")] == [i for i, _ in index.search("学生寮")]
