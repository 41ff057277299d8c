"""The UI's pieces: its HTTP client against a real loopback server speaking the API contract,
the rendering of answers and sources, a whole chat turn, the feedback file, and the page
served with nothing from outside the machine."""

import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from ui.app import (
    ERROR_MARK,
    api_history,
    converse,
    highlight,
    outline_choices,
    panel_title,
    panels,
    raw_answer,
    record_feedback,
    section_markdown,
    shown_answer,
    standalone_app,
    text_of,
    turn_at,
)
from ui.client import ClientError, PlanClient

CITATION = {"marker": "[1]", "document_id": "ynu-midterm-2004", "document_title": "国立大学法人横浜国立大学 中期計画",
            "section_id": "ynu-midterm-2004:7.1", "label": "Ⅶ-1", "path": ["短期借入金の限度額", "短期借入金の限度額"],
            "text": "1短期借入金の限度額\n   23億円\n<script>alert(1)</script>", "line_start": 476, "line_end": 477,
            "score": 0.03, "verified": True}
SECOND = {**CITATION, "marker": "[2]", "section_id": "ynu-midterm-2004:7.2", "label": "Ⅶ-2", "path": ["想定される理由"],
          "text": "2想定される理由\n運営費交付金の受入の遅延及び予見しがたい事故等のために緊急に必要となる対策費として借入を行うことも想定される。"
                  "なお、別の文もある。", "line_start": 478, "line_end": 479}
ANSWER = {"answer": "短期借入金の限度額は23億円です [1]。\n・「1短期借入金の限度額 23億円」 [1]\n"
                    "・「運営費交付金の受入の遅延及び予見しがたい事故等のために緊急に必要となる対策費として借入を行う」 [2]",
          "language": "ja", "found": True, "citations": [CITATION, SECOND], "related": [], "timing_ms": {"total": 12.0}}
NOT_FOUND = {"answer": "計画にはこの質問に答える記載が見つかりませんでした。", "language": "ja", "found": False, "citations": [],
             "related": [CITATION], "timing_ms": {}}
DOCUMENTS = {"documents": [{"id": "ynu-midterm-2004", "title": "国立大学法人横浜国立大学 中期計画",
                            "title_en": "Yokohama National University Mid-term Plan"}], "count": 1}
OUTLINE = {"document": {"id": "ynu-midterm-2004"}, "sections": [
    {"id": "ynu-midterm-2004:7", "label": "Ⅶ", "title": "短期借入金の限度額", "heading": "Ⅶ 短期借入金の限度額", "children": [
        {"id": "ynu-midterm-2004:7.1", "label": "Ⅶ-1", "title": "短期借入金の限度額", "heading": "Ⅶ-1 短期借入金の限度額",
         "children": []}]}]}
SECTION = {"id": "ynu-midterm-2004:7.1", "label": "Ⅶ-1", "title": "短期借入金の限度額", "heading": "Ⅶ-1 短期借入金の限度額",
           "path": ["短期借入金の限度額"], "text": "1短期借入金の限度額\n   23億円\n\n<b>次の段落</b>", "line_start": 476,
           "line_end": 477, "document": {"id": "ynu-midterm-2004", "title": "国立大学法人横浜国立大学 中期計画"}}


def _event(name, data):
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class _API(BaseHTTPRequestHandler):
    """The API contract, canned; the requests are kept for the tests to read."""

    requests: ClassVar[list] = []

    def log_message(self, *args):  # keep the test output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _API.requests.append((self.path, body))
        question = body["question"]
        if question == "bad":
            return self._send(422, "application/json", {"detail": "the question is empty", "error": {"code": 422}})
        if question == "proxy":
            return self._send(502, "text/html", "<html>Bad Gateway</html>")
        if self.path == "/v1/ask":
            return self._send(200, "application/json", ANSWER)
        deltas = "".join(_event("delta", {"text": t}) for t in ("短期借入金の限度額は", "23億円です [1]。"))
        if question == "fails midway":
            events = deltas + _event("error", {"detail": "the answer failed (RuntimeError)"}) + _event("done", {})
        elif question == "cut off":
            events = deltas
        elif question == "unknown":
            events = _event("answer", NOT_FOUND) + _event("done", {})
        elif question == "odd framing":  # CRLF, a comment, data over two lines, no final blank line
            events = (": keep-alive\r\n\r\nevent: delta\r\ndata: {\"text\":\r\ndata: \"a\"}\r\n\r\n"
                      f"event: answer\r\ndata: {json.dumps(ANSWER, ensure_ascii=False)}")
        else:
            events = deltas + _event("answer", ANSWER) + _event("done", {})
        self._send(200, "text/event-stream", events)

    def do_GET(self):
        routes = {"/v1/documents": DOCUMENTS, "/v1/documents/ynu-midterm-2004/outline": OUTLINE,
                  "/v1/sections/ynu-midterm-2004:7.1": SECTION}
        if self.path in routes:
            return self._send(200, "application/json", routes[self.path])
        self._send(404, "application/json", {"detail": f"unknown: {self.path}"})

    def _send(self, status, kind, payload):
        data = (payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _API)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the client ---------------------------------------------------------------------------


def test_stream_gives_deltas_then_the_answer_and_sends_the_contract(api):
    history = [{"role": "user", "content": "前の質問"}, {"role": "assistant", "content": "前の答え"}]
    events = list(PlanClient(api).ask_stream("短期借入金の限度額は？", history, "ja", ["ynu-midterm-2004"]))
    assert events == [("delta", "短期借入金の限度額は"), ("delta", "23億円です [1]。"), ("answer", ANSWER)]
    assert _API.requests[-1] == ("/v1/ask/stream", {"question": "短期借入金の限度額は？", "history": history,
                                                    "language": "ja", "documents": ["ynu-midterm-2004"]})
    list(PlanClient(api).ask_stream("短期借入金の限度額は？"))
    assert _API.requests[-1][1] == {"question": "短期借入金の限度額は？", "history": [], "language": "auto",
                                    "documents": None}


def test_stream_reads_any_legal_framing(api):
    assert list(PlanClient(api).ask_stream("odd framing")) == [("delta", "a"), ("answer", ANSWER)]


def test_ask_and_the_plans(api):
    client = PlanClient(api)
    assert client.ask("短期借入金の限度額は？") == ANSWER
    assert client.documents()[0]["id"] == "ynu-midterm-2004"
    assert client.outline("ynu-midterm-2004")[0]["children"][0]["label"] == "Ⅶ-1"
    assert client.section("ynu-midterm-2004:7.1")["line_start"] == 476


def test_errors_carry_the_services_message(api):
    client = PlanClient(api)
    with pytest.raises(ClientError, match="^the question is empty$"):
        list(client.ask_stream("bad"))
    with pytest.raises(ClientError, match="^the question is empty$"):
        client.ask("bad")
    with pytest.raises(ClientError, match="unknown: /v1/sections/nope"):
        client.section("nope")
    with pytest.raises(ClientError, match="502"):
        list(client.ask_stream("proxy"))
    with pytest.raises(ClientError, match=r"the answer failed \(RuntimeError\)"):
        list(client.ask_stream("fails midway"))
    with pytest.raises(ClientError, match="ended before the answer"):
        list(client.ask_stream("cut off"))


def test_an_unreachable_service_is_a_client_error(closed_port):
    client = PlanClient(f"http://127.0.0.1:{closed_port}", timeout=2)
    for call in (client.documents, lambda: list(client.ask_stream("短期借入金の限度額は？")),
                 lambda: client.ask("短期借入金の限度額は？")):
        with pytest.raises(ClientError, match=f"127.0.0.1:{closed_port} cannot be reached"):
            call()


# --- rendering ----------------------------------------------------------------------------


def test_source_panels_title_path_lines_and_escaped_passage():
    first, second = panels(ANSWER)
    assert first.metadata["title"] == "[1] Ⅶ-1 短期借入金の限度額 — 国立大学法人横浜国立大学 中期計画"
    assert "status" not in first.metadata and second.metadata["status"] == "done"  # the first unfolded, the rest folded
    assert "短期借入金の限度額 ›" not in first.content  # a title repeated by its child is shown once
    assert "<b>短期借入金の限度額</b>" in first.content and "476–477" in first.content and "verified" in first.content
    assert "<blockquote>" in first.content
    assert "&lt;script&gt;" in first.content and "<script>" not in first.content


def test_the_quoted_sentences_are_marked():
    marked = highlight(CITATION["text"], ANSWER["answer"])
    assert marked.startswith("<mark>1短期借入金の限度額</mark><br><mark>23億円</mark><br>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in marked and "<mark>&lt;script" not in marked
    # Most of a sentence said (not word for word) is marked; the sentence the answer does not use is not.
    marked = highlight(SECOND["text"], ANSWER["answer"])
    assert "<mark>運営費交付金の受入の遅延" in marked and "<mark>なお" not in marked and "なお、別の文もある。" in marked
    # An English answer quoting the Japanese marks it too.
    assert "<mark>23億円</mark>" in highlight("23億円", "The limit is 23億円 (2.3 billion yen) [1].")


def test_not_found_shows_the_nearest_sections_and_notes_get_a_panel():
    (related,) = panels(NOT_FOUND)
    assert related.metadata["title"].startswith("関連 / Related: Ⅶ-1 短期借入金の限度額")
    assert "1短期借入金の限度額" in related.content
    notes = panels({**ANSWER, "notes": ["the language model did not answer"]})[-1]
    assert notes.metadata["title"] == "注記 / Notes" and "did not answer" in notes.content
    label_is_title = {**CITATION, "label": "東北大学の位置づけ-研究第一", "path": ["東北大学の位置づけ", "研究第一"]}
    assert panel_title(label_is_title) == "[1] 東北大学の位置づけ-研究第一 — 国立大学法人横浜国立大学 中期計画"


def test_a_citation_is_named_once_and_one_panel_shows_one_section():
    """The service names a citation (`heading`, `context`): the panel shows its label, title and
    path each once, two markers of one section share its panel, a table's rows are a table."""
    target = {**CITATION, "label": "国際戦略のアクション：プロセス-ターゲット2", "document_title": "東北大学 国際戦略",
              "path": ["国際戦略のアクション：プロセス", "ターゲット2. 世界最先端の研究"], "section_id": "tohoku:3.2",
              "heading": "ターゲット2. 世界最先端の研究", "context": ["国際戦略のアクション：プロセス"], "text": "- 拠点を形成する"}
    table = {**CITATION, "marker": "[3]", "section_id": "ynu:12", "label": "別紙-1", "path": ["予算", "予 算"],
             "heading": "別紙-1 予 算", "context": ["予算"], "rows": ["収入 / 運営費交付金: 53,301 百万円", "収入 / 計: <98,854>"]}
    answer = {**ANSWER, "citations": [target, {**target, "marker": "[2]", "text": "- クラスターを形成する"}, table]}
    first, second = panels(answer)
    assert first.metadata["title"] == "[1][2] ターゲット2. 世界最先端の研究 — 東北大学 国際戦略"
    assert first.content.count("ターゲット2") == 0 and first.content.count("国際戦略のアクション：プロセス") == 1
    assert first.content.count("<blockquote>") == 2 and "クラスター" in first.content  # both passages, one panel
    assert second.metadata["title"] == "[3] 別紙-1 予 算 — 国立大学法人横浜国立大学 中期計画"
    assert "<tr><td>収入 / 運営費交付金</td><td>53,301 百万円</td></tr>" in second.content
    assert "<td>&lt;98,854&gt;</td>" in second.content and "<table>" not in first.content
    page = section_markdown({**SECTION, "tables": [table["rows"]]})
    assert "<table>" in page and "<td>53,301 百万円</td>" in page


def test_answers_are_shown_escaped_and_read_back_as_written():
    text = "a <b>x</b> & [1]"
    assert shown_answer(text) == "a &lt;b>x&lt;/b> &amp; [1]"
    assert raw_answer([{"type": "text", "text": shown_answer(text)}]) == text


def test_history_sent_to_the_api_leaves_out_panels_and_failed_turns():
    messages = [{"role": "user", "content": [{"type": "text", "text": "短期借入金は？"}]},
                {"role": "assistant", "content": [{"type": "text", "text": "23億円です &lt;注&gt; [1]"}]},
                {"role": "assistant", "content": "passage", "metadata": {"title": "[1] Ⅶ-1", "status": "done"}},
                {"role": "user", "content": "壊れた質問"},
                {"role": "assistant", "content": f"{ERROR_MARK} 回答できませんでした / …"},
                {"role": "user", "content": "その理由は？"}]
    assert api_history(messages) == [{"role": "user", "content": "短期借入金は？"},
                                     {"role": "assistant", "content": "23億円です <注> [1]"},
                                     {"role": "user", "content": "その理由は？"}]
    assert text_of([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "ab"
    # A like on the answer or on one of its panels names the same exchange.
    assert turn_at(messages, 1) == turn_at(messages, 2) == ("短期借入金は？", "23億円です <注> [1]")


def test_plan_browser_rendering():
    rows = outline_choices(OUTLINE["sections"])
    assert rows == [("Ⅶ 短期借入金の限度額", "ynu-midterm-2004:7"), ("　Ⅶ-1 短期借入金の限度額", "ynu-midterm-2004:7.1")]
    page = section_markdown(SECTION)
    assert page.startswith("### Ⅶ-1 短期借入金の限度額")
    assert "<p>1短期借入金の限度額<br>23億円</p><p>&lt;b&gt;次の段落&lt;/b&gt;</p>" in page and "lines 476–477" in page


# --- a chat turn --------------------------------------------------------------------------


def test_a_turn_streams_then_shows_the_sources_and_sends_the_history(api):
    earlier = [{"role": "user", "content": "前の質問"}, {"role": "assistant", "content": "前の答え"},
               {"role": "assistant", "content": "p", "metadata": {"title": "[1] x"}}]
    contents, steps = [], []
    for step in converse(PlanClient(api), "  短期借入金の限度額は？ ", earlier, "auto", [], {}):
        contents.append(step[0][4].content)  # as it stood when this step was sent
        steps.append(step)
    assert contents[:3] == ["…", "短期借入金の限度額は", "短期借入金の限度額は23億円です [1]。"]  # the answer grows
    messages, box, shown = steps[-1]
    assert box == "" and messages[3].content == "短期借入金の限度額は？"
    assert messages[4].content == shown_answer(ANSWER["answer"])
    assert [m.metadata["title"][:3] for m in messages[5:]] == ["[1]", "[2]"]
    assert shown[ANSWER["answer"]]["citations"][0]["label"] == "Ⅶ-1"
    assert _API.requests[-1][1]["history"] == [{"role": "user", "content": "前の質問"},
                                               {"role": "assistant", "content": "前の答え"}]


def test_a_turn_that_fails_says_so_in_the_chat(api, closed_port):
    for client, question, expected in ((PlanClient(api), "bad", "the question is empty"),
                                       (PlanClient(api), "fails midway", "the answer failed"),
                                       (PlanClient(f"http://127.0.0.1:{closed_port}", timeout=2), "何か？",
                                        "cannot be reached")):
        messages, _, shown = list(converse(client, question, [], "auto", None, {}))[-1]
        assert messages[-1].content.startswith(ERROR_MARK) and expected in messages[-1].content
        assert "Traceback" not in messages[-1].content and shown == {}


def test_an_empty_question_does_nothing(api):
    ((messages, _, shown),) = list(converse(PlanClient(api), "   ", [], "auto", None, {}))
    assert messages == [] and shown == {}


# --- feedback -----------------------------------------------------------------------------


def test_feedback_is_appended_as_json_lines(tmp_path):
    path = tmp_path / "fb" / "feedback.jsonl"
    record_feedback(path, "短期借入金は？", "23億円です", ANSWER["citations"], True, "ja")
    record_feedback(path, "別の質問", "…", [], "Dislike")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["liked"], r["rating"]) for r in rows] == [(True, "like"), (False, "dislike")]
    assert rows[0]["question"] == "短期借入金は？" and rows[0]["answer"] == "23億円です"
    assert rows[0]["citations"][0]["label"] == "Ⅶ-1" and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", rows[0]["time"])


# --- the page -----------------------------------------------------------------------------


def test_the_page_names_no_other_site(api):
    """The UI alone (`python -m ui.app`, or mounted with `ui.app.mount_ui`): its page and its
    theme name nothing outside the server's own origin, and there is no share button."""
    from fastapi.testclient import TestClient

    with TestClient(standalone_app(api), base_url="http://127.0.0.1:7860") as client:
        page = client.get("/ui/")
        assert page.status_code == 200 and "計画アシスタント / Plan Assistant" in page.text
        assert client.get("/", follow_redirects=False).headers["location"] == "/ui/"
        theme = client.get("/ui/theme.css").text
        config = client.get("/ui/config").json()
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", page.text + theme))
    assert {u for u in urls if not u.startswith("http://127.0.0.1:7860") and u != "http://www.w3.org/2000/svg"} == set()
    assert "googleapis" not in theme and "fonts.g" not in page.text
    assert '<link rel="manifest" href="./manifest.json"' in page.text
    chatbot = next(c for c in config["components"] if c.get("type") == "chatbot")
    assert "share" not in chatbot["props"]["buttons"]
