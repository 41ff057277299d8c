"""The UI's pieces: its HTTP client against a real loopback server, rendering, feedback."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ui.app import api_history, highlight, panels, record_feedback, text_of
from ui.client import ClientError, PlanClient

ANSWER = {"answer": "短期借入金の限度額は23億円です [1]。\n・「1短期借入金の限度額 23億円」 [1]", "language": "ja", "found": True,
          "citations": [{"marker": "[1]", "document_id": "ynu", "document_title": "中期計画", "section_id": "ynu:8.1",
                         "label": "Ⅶ-1", "path": ["短期借入金の限度額"], "text": "1短期借入金の限度額\n   23億円\n<script>x</script>",
                         "line_start": 476, "line_end": 477, "score": 0.03}], "timing_ms": {}}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body["question"] == "bad":
            return self._send(422, "application/json", json.dumps({"detail": "the question is empty"}))
        events = "".join(f"event: delta\ndata: {json.dumps({'text': t}, ensure_ascii=False)}\n\n" for t in ("短期", "借入金"))
        events += f"event: answer\ndata: {json.dumps(ANSWER, ensure_ascii=False)}\n\nevent: done\ndata: {{}}\n\n"
        self._send(200, "text/event-stream", events)

    def do_GET(self):
        self._send(200, "application/json", json.dumps({"documents": [{"id": "ynu", "title": "中期計画"}], "count": 1}))

    def _send(self, status, kind, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_stream_gives_deltas_then_the_answer(api):
    events = list(PlanClient(api).ask_stream("短期借入金の限度額は？"))
    assert events[:2] == [("delta", "短期"), ("delta", "借入金")]
    assert events[-1] == ("answer", ANSWER)
    assert PlanClient(api).documents()[0]["id"] == "ynu"


def test_errors_carry_the_services_message_or_say_it_is_unreachable(api):
    with pytest.raises(ClientError, match="the question is empty"):
        list(PlanClient(api).ask_stream("bad"))
    with pytest.raises(ClientError, match="cannot be reached"):
        PlanClient("http://127.0.0.1:9", timeout=2).documents()


def test_panels_escape_the_passage_and_mark_the_quoted_lines():
    (panel,) = panels(ANSWER)
    assert panel.metadata["title"].startswith("[1] Ⅶ-1")
    assert "&lt;script&gt;" in panel.content and "<script>" not in panel.content
    assert "<mark>1短期借入金の限度額</mark>" in highlight(ANSWER["citations"][0]["text"], ANSWER["answer"])
    related = panels({**ANSWER, "found": False, "citations": [], "related": ANSWER["citations"]})
    assert related[0].metadata["title"].startswith("関連 / related")


def test_history_sent_to_the_api_leaves_out_panels_and_reads_blocks():
    messages = [{"role": "user", "content": [{"type": "text", "text": "短期借入金は？"}]},
                {"role": "assistant", "content": "23億円です [1]"},
                {"role": "assistant", "content": "passage", "metadata": {"title": "[1] Ⅶ-1"}}]
    assert api_history(messages) == [{"role": "user", "content": "短期借入金は？"},
                                      {"role": "assistant", "content": "23億円です [1]"}]
    assert text_of([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "ab"


def test_feedback_is_appended_as_json_lines(tmp_path):
    path = tmp_path / "fb" / "feedback.jsonl"
    record_feedback(path, "短期借入金は？", "23億円です", ANSWER["citations"], True)
    record_feedback(path, "別の質問", "…", [], False)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["liked"] for r in rows] == [True, False] and rows[0]["citations"][0]["label"] == "Ⅶ-1"
