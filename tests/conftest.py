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
