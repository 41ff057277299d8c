"""A plan no catalog describes, uploaded as a user would (plain text or PDF): titled from its
own header, its outline kept, found by its institution's names, and a question naming it
answered from it. The plan is this suite's own (tests/test_sections.py), not a bundled one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from tests.test_api import ADMIN_KEY, _settings
from tests.test_load import make_pdf
from tests.test_sections import FOURTH_TERM

HEADERS = {"X-API-Key": ADMIN_KEY}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = _settings(tmp_path_factory.mktemp("new-plans"), admin_key=ADMIN_KEY)
    with TestClient(create_app(settings)) as client:
        yield client


def _upload(client: TestClient, name: str, data: bytes, **form) -> dict:
    r = client.post("/v1/documents", files={"file": (name, data)}, data=form, headers=HEADERS)
    assert r.status_code == 201, r.text
    return r.json()["document"]


def _tops(client: TestClient, document_id: str) -> list[str]:
    return [s["label"] for s in client.get(f"/v1/documents/{document_id}/outline").json()["sections"]]


def _ask(client: TestClient, question: str) -> dict:
    r = client.post("/v1/ask", json={"question": question})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("name", ["minato-plan.txt", "minato-plan.pdf"])
def test_an_uncatalogued_plan_is_titled_outlined_and_named_from_its_text(client: TestClient, tmp_path: Path, name: str):
    data = (FOURTH_TERM.encode() if name.endswith(".txt")
            else make_pdf(tmp_path / name, FOURTH_TERM.splitlines()).read_bytes())
    document = _upload(client, name, data)
    try:
        assert (document["id"], document["title"], document["title_en"]) == (
            "minato-plan", "国立大学法人みなと大学 中期計画", "Minato University Mid-term Plan")
        assert document["institution"] == "国立大学法人みなと大学"
        assert {"みなと大学", "みなと大"} <= set(document["names"])
        assert _tops(client, "minato-plan") == ["第1", "第2", "第3", "第4"]  # the header is no section
        # Named, it is answered from its own text, not the bundled plan's 23億円.
        answer = _ask(client, "みなと大学の短期借入金の限度額は？")
        assert answer["found"] and answer["citations"][0]["document_id"] == "minato-plan"
        assert "31億円" in answer["answer"] and "23億円" not in answer["answer"]
        assert answer["citations"][0]["label"].startswith("第4")
        # The bundled plan, named, is still answered from itself.
        ynu = _ask(client, "横浜国立大学の短期借入金の限度額は？")
        assert "23億円" in ynu["answer"] and ynu["citations"][0]["document_id"] == "ynu-midterm-2004"
    finally:
        assert client.delete("/v1/documents/minato-plan", headers=HEADERS).status_code == 200


def test_an_uploader_names_what_the_text_does_not(client: TestClient):
    text = FOURTH_TERM.replace("Minato University Mid-term Plan\n", "")
    document = _upload(client, "minato-plan.txt", text.encode(), title_en="Minato University Plan",
                       aliases=["MNU", "みな大"])
    try:
        assert document["title_en"] == "Minato University Plan" and {"MNU", "みな大"} <= set(document["names"])
        catalog = (client.app.state.settings.plans_dir / "catalog.toml").read_text(encoding="utf-8")
        assert 'file = "minato-plan.txt"' in catalog and '"MNU"' in catalog
        answer = _ask(client, "MNUの短期借入金の限度額は？")
        assert answer["citations"][0]["document_id"] == "minato-plan" and "31億円" in answer["answer"]
    finally:
        assert client.delete("/v1/documents/minato-plan", headers=HEADERS).status_code == 200
    catalog = (client.app.state.settings.plans_dir / "catalog.toml").read_text(encoding="utf-8")
    assert "minato-plan" not in catalog and 'id = "ynu-midterm-2004"' in catalog  # its entry goes with it


def test_metadata_with_control_characters_is_refused_and_nothing_is_kept(client: TestClient):
    r = client.post("/v1/documents", files={"file": ("minato-plan.txt", FOURTH_TERM.encode())},
                    data={"title": "a\nb"}, headers=HEADERS)
    assert r.status_code == 422 and "one line" in r.json()["detail"]
    listed = client.get("/v1/documents").json()
    assert [d["id"] for d in listed["documents"]] == ["tohoku-intl-strategy", "ynu-midterm-2004"]
