"""The API fuzzed from the OpenAPI document it publishes (schemathesis): every operation, in all
of schemathesis' phases (the schema's examples, coverage of each field's edges, generated
valid and invalid requests, and stateful sequences following the links between operations), with
all of its checks: no 5xx, every status and content type documented, every body conforming to
its declared schema, invalid requests refused, valid ones accepted, methods a path lacks
answered 405 with a true `Allow`, and the others schemathesis ships where they apply.

The run is reproducible: a fixed seed and derandomized generation, one worker. The app is the
real one on an index built in a temporary folder; uploads and deletes are fuzzed past the admin
key (the dependency is lifted), so their bodies and ids are reached. The number of requests per
operation, and their statuses, go to eval/results/fuzz.json and are printed.

A valid request may still be refused for a rule of the data that no schema can state (a document
id that is not served, the conversation's last message, what an uploaded file holds): those are
listed in DATA_RULES, matched on the operation, the status and the service's own message, and
counted in the results; any other refusal of a valid request fails.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.config import SchemathesisConfig
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.engine import Status, events, from_schema

from assistant.api import create_app
from assistant.api.deps import require_admin
from index.settings import Settings
from tests.test_api import _settings
from tests.test_fuzz_parse import record, time_limit

ROOT = Path(__file__).resolve().parents[1]
SEED = 19
MAX_EXAMPLES = 300  # per operation, in the fuzzing phase
RUN_SECONDS = 900  # a run taking longer than this is a hang, not slowness
PHASES = ("examples", "coverage", "fuzzing", "stateful")

# (operation, status, the start of the service's message): valid by the schema, refused by the data.
DATA_RULES = (
    # ids are data: the schema cannot list the documents served (uploads change them)
    ("POST /v1/ask", 422, "unknown document(s)"),
    ("POST /v1/ask/stream", 422, "unknown document(s)"),
    # JSON Schema has no "the last item": the conversation ends with the user's question, and
    # that is the last message's text, its parts joined
    ("POST /v1/chat/completions", 422, "the last message must be the user's question"),
    ("POST /v1/chat/completions", 422, "the question is empty"),
    # a form cannot say what a file holds, nor what its name ends with
    ("POST /v1/documents", 415, "unsupported file type"),
)


@dataclass
class Run:
    """What one engine run sent and found."""

    requests: Counter[str] = field(default_factory=Counter)  # by operation
    phases: dict[str, Counter[str]] = field(default_factory=dict)  # operation -> requests by phase
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    checks: set[str] = field(default_factory=set)  # the checks that ran on some response
    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (operation, check, title) -> example
    excused: Counter[str] = field(default_factory=Counter)  # DATA_RULES applied, by rule
    errors: list[str] = field(default_factory=list)  # what kept schemathesis from testing something
    skipped: list[str] = field(default_factory=list)  # phases that did not run

    def add(self, event: events.ScenarioFinished) -> None:
        recorder = event.recorder
        for case_id, interaction in recorder.interactions.items():
            label = recorder.cases[case_id].value.operation.label
            self.requests[label] += 1
            self.phases.setdefault(label, Counter())[event.phase.value] += 1
            if interaction.response is not None:
                self.statuses.setdefault(label, Counter())[interaction.response.status_code] += 1
        for case_id, checks in recorder.checks.items():
            label = recorder.cases[case_id].value.operation.label
            for check in checks:
                self.checks.add(check.name)
                if check.failure_info is not None:
                    failure = check.failure_info.failure
                    example = f"{failure.message}\n{check.failure_info.code_sample}"
                    self.failures.setdefault((label, check.name, failure.title), example)


def _excused(run: Run):
    """A `filter_failure` hook: drop a valid request's refusal when a rule of DATA_RULES explains it."""

    def filter_failure(context, failure, case, response) -> bool:
        if not isinstance(failure, RejectedPositiveData):
            return True
        try:
            detail = str(json.loads(response.content).get("detail", ""))
        except (ValueError, AttributeError):
            return True
        for rule in DATA_RULES:
            operation, status, says = rule
            if (case.operation.label, response.status_code) == (operation, status) and detail.startswith(says):
                run.excused[f"{operation} {status} {says}"] += 1
                return False
        return True

    return filter_failure


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": SEED, "workers": 1,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "phases": {name: {"enabled": True} for name in PHASES},
        "checks": {"enabled": True},
    })


def _labels() -> list[str]:
    """The operations, read from an app that is never started (its schema needs no index)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Settings(data_dir=Path("/nonexistent"))))
    return sorted(result.ok().label for result in schema.get_all_operations())


@pytest.fixture(scope="module")
def run(tmp_path_factory, pytestconfig) -> Run:
    settings = _settings(tmp_path_factory.mktemp("fuzz"), admin_key="fuzz-admin-key")
    app = create_app(settings)
    app.dependency_overrides[require_admin] = lambda: None  # fuzz what is behind the key too
    result = Run()
    with TestClient(app), time_limit(RUN_SECONDS):  # the lifespan: the index is loaded once, for every case
        schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=_config())
        schema.hook(_excused(result))
        for event in from_schema(schema).execute():
            if isinstance(event, events.ScenarioFinished):
                result.add(event)
            elif isinstance(event, events.NonFatalError):
                result.errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
            elif isinstance(event, events.FatalError):
                result.errors.append(f"fatal: {event.exception!r}")
            elif isinstance(event, events.PhaseFinished) and event.phase.name.value in PHASES \
                    and event.status == Status.SKIP:
                result.skipped.append(f"{event.phase.name.value}: {event.phase.skip_reason}")
    record("schemathesis", result.requests, seed=SEED, max_examples=MAX_EXAMPLES, phases=list(PHASES),
           checks=sorted(result.checks), excused=dict(sorted(result.excused.items())),
           failures=len(result.failures),
           by_phase={label: dict(sorted(c.items())) for label, c in sorted(result.phases.items())},
           statuses={label: dict(sorted(c.items())) for label, c in sorted(result.statuses.items())})
    with pytestconfig.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():  # shown without -s
        print(f"\nschemathesis: {result.requests.total()} requests over {len(result.requests)} operations, "
              f"seed {SEED}, {len(result.failures)} failures")
    plans = {p.name for p in settings.plans_dir.iterdir()}
    assert plans and plans <= {p.name for p in (ROOT / "plans").iterdir()}, plans  # deletes, but no junk upload
    return result


def test_every_phase_and_check_ran(run):
    assert not run.errors, "\n".join(run.errors)
    assert not run.skipped, run.skipped
    assert run.checks >= {"not_a_server_error", "status_code_conformance", "content_type_conformance",
                          "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
                          "positive_data_acceptance", "unsupported_method", "allow_header_conformance"}, run.checks


@pytest.mark.parametrize("label", _labels())
def test_operation_conforms_to_its_schema(run, label):
    assert {"coverage", "fuzzing"} <= set(run.phases.get(label, ())), (label, run.phases.get(label))
    found = {key: example for key, example in run.failures.items() if key[0] == label}
    assert not found, "\n\n".join(f"{check}: {title}\n{example}" for (_, check, title), example in found.items())
