"""The API fuzzed from its own OpenAPI schema (schemathesis): every operation, with valid input
and invalid input (wrong types, missing fields, junk strings and bytes), never a 5xx.

The app is the real one on an index built in a temporary folder; uploads and deletes are fuzzed
past the admin key (the dependency is lifted), so their bodies and ids are reached. The number
of cases tried per operation is written to eval/results/fuzz.json and printed.
(schemathesis' own pytest plugin is not used: with pytest 9 it fails on `Function._nodeid`.)
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from assistant.api import create_app
from assistant.api.deps import require_admin
from index.settings import Settings
from tests.test_api import _settings
from tests.test_fuzz_parse import record, time_limit

ROOT = Path(__file__).resolve().parents[1]
MAX_EXAMPLES = 100  # per operation: the whole schema in about a minute
CASE_SECONDS = 60  # a case taking longer than this is a hang, not slowness

tried: Counter[str] = Counter()
statuses: dict[str, Counter[int]] = {}


def _labels() -> list[str]:
    """The operations, read from an app that is never started (its schema needs no index)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings(data_dir=Path("/nonexistent"))))
    return sorted(result.ok().label for result in schema.get_all_operations())


def _asking(case):
    """A chat case whose last message is a user's question, so that the answer is reached with
    whatever the other fields hold (stream, stream_options, model, earlier messages …)."""
    case.body["messages"] = [*case.body["messages"], {"role": "user", "content": "留学生の支援は？"}]
    return case


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    settings = _settings(tmp_path_factory.mktemp("fuzz"), admin_key="fuzz-admin-key")
    app = create_app(settings)
    app.dependency_overrides[require_admin] = lambda: None  # fuzz what is behind the key too
    with TestClient(app):  # runs the lifespan: the index is loaded once, for every case
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    plans = sorted(p.name for p in settings.plans_dir.iterdir())
    assert plans == sorted(p.name for p in (ROOT / "plans").iterdir()), plans  # no junk upload got in


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    record("schemathesis", tried, max_examples=MAX_EXAMPLES, modes=["positive", "negative"],
           statuses={label: dict(sorted(c.items())) for label, c in sorted(statuses.items())})


@pytest.mark.parametrize("label", _labels())
def test_no_operation_answers_a_5xx(api_schema, label):
    operation = api_schema.find_operation_by_label(label)
    # valid and invalid cases mixed: an operation without parameters has no invalid ones
    cases = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in GenerationMode))
    if label == "POST /v1/chat/completions":  # random roles rarely end with a question: add that too
        cases = st.one_of(cases, operation.as_strategy().map(_asking))

    @given(case=cases)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def fuzz(case):
        tried[label] += 1
        with time_limit(CASE_SECONDS):
            response = case.call_and_validate(checks=[not_a_server_error])
        statuses.setdefault(label, Counter())[response.status_code] += 1

    fuzz()
