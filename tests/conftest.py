"""Shared fixtures: the real default corpus, parsed once per test session."""

from pathlib import Path

import pytest

from index.corpus import Corpus, build_corpus

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "plans"


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return build_corpus(PLANS, max_tokens=400)


@pytest.fixture(scope="session")
def ynu(corpus: Corpus):
    return corpus.document("ynu-midterm-2004")


@pytest.fixture(scope="session")
def tohoku(corpus: Corpus):
    return corpus.document("tohoku-intl-strategy")


@pytest.fixture(scope="session")
def searcher(tmp_path_factory):
    """The real index (Chroma, Sudachi, bm25s) built once from the default plans."""
    from assistant.retrieve import Searcher
    from index.build import build_index
    from index.settings import Settings

    settings = Settings(plans_dir=PLANS, data_dir=tmp_path_factory.mktemp("data"))
    build_index(settings, progress=False)
    return Searcher(settings)
