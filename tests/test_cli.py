"""The command line, as a user runs it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from click.testing import CliRunner

from assistant.cli import main
from tests.conftest import ROOT


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


def test_plans_list():
    result = run("plans", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [ln.split("\t")[0] for ln in lines] == ["tohoku-intl-strategy", "ynu-midterm-2004"]
    assert "国立大学法人横浜国立大学 中期計画" in lines[1]


def test_plans_outline_is_indented_tree():
    result = run("plans", "outline", "ynu-midterm-2004")
    assert result.exit_code == 0
    assert "Ⅰ 大学の教育研究等の質の向上に関する目標を達成するためにとるべき措置" in result.output
    assert "        Ⅰ-1-(1)-1)-① 教養教育の成果に関する具体的目標の設定  [ynu-midterm-2004:1.1.1.1.1]" in result.output
    tohoku = run("plans", "outline", "tohoku-intl-strategy").output
    assert "  ターゲット1. 世界的視野に立つ教育" in tohoku


def test_plans_show_section():
    result = run("plans", "show", "ynu-midterm-2004:7.1")
    assert result.exit_code == 0
    assert result.output.startswith("Ⅶ-1 短期借入金の限度額\n")
    assert "23億円" in result.output and "lines 476-477" in result.output


def test_chunks_are_json_lines():
    result = run("chunks", "ynu-midterm-2004")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) > 200
    assert {"id", "section_id", "label", "path", "text", "span", "tokens", "index_text"} <= rows[0].keys()


def test_report():
    result = run("plans", "report", "--json")
    report = json.loads(result.output)
    assert report["documents"] == 2 and report["skipped_lines"] == 0
    assert report["repairs"] == {"roman-numeral": 13, "circled-number": 55, "square-metre": 1}


def test_unknown_ids_give_one_clear_line():
    result = run("plans", "outline", "nope")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: unknown document 'nope' (known: tohoku-intl-strategy, ynu-midterm-2004)"
    result = run("plans", "show", "ynu-midterm-2004:99")
    assert "unknown section 'ynu-midterm-2004:99'" in result.output


def test_bad_files_are_reported_and_the_rest_builds(tmp_path: Path):
    for name in ("ynu-midterm-plan-2004.txt", "catalog.toml"):
        (tmp_path / name).write_bytes((ROOT / "plans" / name).read_bytes())
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = run("plans", "report", env={"PLAN_ASSISTANT_PLANS_DIR": str(tmp_path)})
    assert result.exit_code == 0
    assert "documents 1" in result.output
    assert "empty.txt: empty file" in result.output
    assert "image.png: unsupported file type" in result.output


def test_console_script_works_offline(tmp_path: Path):
    """The installed command counts tokens with the packaged encoding, with no network at all."""
    script = Path(sys.executable).with_name("plan-assistant")
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"}
    env.update(HOME=str(tmp_path), http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")
    result = subprocess.run([str(script), "chunks", "tohoku-intl-strategy"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["tokens"] > 0


def test_index_build_status_and_search(tmp_path: Path):
    env = {"PLAN_ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    assert "no index" in run("index", "status", env=env).output
    built = run("index", "build", env=env)
    assert built.exit_code == 0 and "built index" in built.output and "chunks" in built.output
    assert "up to date" in run("index", "build", env=env).output
    assert "up to date" in run("index", "status", env=env).output
    found = run("search", "短期借入金の限度額は？", "--json", env=env)
    top = json.loads(found.output)["results"][0]
    assert (top["label"], top["section_id"]) == ("Ⅶ-1", "ynu-midterm-2004:7.1")
    english = run("search", "enrollment capacity of the engineering faculty", env=env).output
    assert english.startswith("(searched as:") and "別表" in english
    piped = CliRunner().invoke(main, ["search"], input="留学生\n\n   \n剰余金の使途\n", env=env)
    assert piped.exit_code == 0 and piped.output.count("1. [") == 2
    assert "the question is empty" in run("search", " ", env=env).output


@pytest.mark.parametrize("catalog", ["[[document]]\nid = \n",
                                     '[[document]]\nid = "p"\nfile = "plan.txt"\ntitle = "計画"\naliases = "YNU"\n',
                                     '[[document]]\nid = "p"\nfile = "plan.txt"\ntitle = "計画"\naliases = [2004]\n'])
def test_a_broken_catalog_is_one_clear_line(tmp_path: Path, catalog: str):
    (tmp_path / "plan.txt").write_text("計画\n", encoding="utf-8")
    (tmp_path / "catalog.toml").write_text(catalog, encoding="utf-8")
    env = {"PLAN_ASSISTANT_PLANS_DIR": str(tmp_path), "PLAN_ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    for args in (("plans", "list"), ("index", "build")):
        result = run(*args, env=env)
        assert result.exit_code == 1
        assert result.output.startswith("Error: cannot read the catalog: catalog.toml:")


def test_ask_answers_with_citations_json_history_and_errors(tmp_path: Path):
    env = {"PLAN_ASSISTANT_DATA_DIR": str(tmp_path / "data")}
    assert run("index", "build", env=env).exit_code == 0
    text = run("ask", "短期借入金の限度額はいくら？", env=env)
    assert text.exit_code == 0 and "23億円です [1]" in text.output and "[1] ynu-midterm-2004 Ⅶ-1" in text.output
    answer = json.loads(run("ask", "What is the limit on short-term borrowing?", "--json", env=env).output)
    assert answer["found"] and answer["language"] == "en" and answer["citations"][0]["verified"]
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{"role": "user", "content": "短期借入金の限度額はいくら？"}]), encoding="utf-8")
    follow = json.loads(run("ask", "その理由は？", "--history", str(history), "--json", env=env).output)
    assert follow["standalone"].startswith("短期借入金") and follow["citations"][0]["label"] == "Ⅶ-2"
    history.write_text("[{\"role\": \"robot\"}]", encoding="utf-8")
    bad = run("ask", "その理由は？", "--history", str(history), env=env)
    assert bad.exit_code != 0 and "role" in bad.output and "Traceback" not in bad.output
    empty = run("ask", "  ", env=env)
    assert empty.exit_code != 0 and "the question is empty" in empty.output


def test_several_workers_need_a_chroma_server(tmp_path):
    result = run("serve", "--workers", "2", env={"PLAN_ASSISTANT_DATA_DIR": str(tmp_path), "PLAN_ASSISTANT_CHROMA_HOST": ""})
    assert result.exit_code != 0 and "chroma run" in result.output and not (tmp_path / "builds").exists()
