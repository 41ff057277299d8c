"""The chat UI (Gradio): ask the plans, see the passage behind every claim, browse the plans.

It talks to the service only over HTTP (`ui.client`), so it runs mounted at /ui by
`plan-assistant serve` or alone: `python -m ui.app --api-url http://127.0.0.1:8000`.
Nothing leaves the machine: analytics off, no share links, system fonts only.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402 - analytics must be off before gradio is imported

from ui.client import ClientError, PlanClient  # noqa: E402

EXAMPLES = [
    "短期借入金の限度額は？",
    "留学生の受け入れについて何と書いてある？",
    "東北大学の国際戦略で研究についてはどんなアクションがある？",
    "What does the plan say about credit transfer?",
    "How many students can the engineering faculty enrol?",
    "What does Tohoku's strategy say about diversity?",
]
LANGUAGES = [("自動 / Auto", "auto"), ("日本語", "ja"), ("English", "en")]
THEME = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def feedback_file() -> Path:
    return Path(os.environ.get("PLAN_ASSISTANT_FEEDBACK_FILE", "data/feedback.jsonl"))


# --- rendering ----------------------------------------------------------------------------


def text_of(content: Any) -> str:
    """A chat message's text: Gradio 6 gives content as a list of blocks, or a string."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(text_of(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    return ""


def api_history(messages: list[Any]) -> list[dict[str, str]]:
    """The conversation as the API takes it: user and assistant text, without source panels."""
    out = []
    for m in messages:
        m = m if isinstance(m, dict) else vars(m)
        if (m.get("metadata") or {}).get("title") or m.get("role") not in ("user", "assistant"):
            continue
        text = text_of(m.get("content")).strip()
        if text:
            out.append({"role": m["role"], "content": text})
    return out


def highlight(passage: str, answer: str) -> str:
    """The passage as HTML-safe text, its lines that the answer quotes marked."""
    quoted = "".join(answer.split())
    lines = []
    for line in passage.splitlines():
        safe = html.escape(line.strip())
        core = "".join(line.split())
        lines.append(f"<mark>{safe}</mark>" if len(core) >= 4 and core in quoted else safe)
    return "<br>".join(x for x in lines if x)


def source_panel(citation: dict[str, Any], answer: str, related: bool = False) -> gr.ChatMessage:
    """One collapsible panel under an answer: label, path, document, lines, and the passage."""
    title = citation["path"][-1] if citation.get("path") else ""
    mark = "関連 / related" if related else citation["marker"]
    body = (f"**{html.escape(' > '.join(citation.get('path', [])))}**<br>"
            f"{html.escape(citation['document_title'])}, lines {citation['line_start']}–{citation['line_end']}"
            f"<blockquote>{highlight(citation['text'], answer)}</blockquote>")
    return gr.ChatMessage(role="assistant", content=body,
                          metadata={"title": f"{mark} {citation['label']} {title} — {citation['document_title']}"})


def panels(answer: dict[str, Any]) -> list[gr.ChatMessage]:
    if answer.get("citations"):
        return [source_panel(c, answer["answer"]) for c in answer["citations"]]
    return [source_panel(c, answer["answer"], related=True) for c in answer.get("related") or []]


def record_feedback(path: Path, question: str, answer: str, citations: list[dict[str, Any]], liked: bool) -> None:
    """Append one 👍/👎 with what was asked and shown: material for the evaluation set."""
    path.parent.mkdir(parents=True, exist_ok=True)
    row = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "liked": liked, "question": question,
           "answer": answer, "citations": citations}
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")


# --- the app ------------------------------------------------------------------------------


def build_ui(api_url: str) -> gr.Blocks:
    client = PlanClient(api_url)

    def respond(question: str, messages: list, language: str, documents: list[str], shown: dict
                ) -> Iterator[tuple[list, str, dict]]:
        question = (question or "").strip()
        if not question:
            yield messages, "", shown
            return
        history = api_history(messages)
        messages = [*messages, gr.ChatMessage(role="user", content=question)]
        reply = gr.ChatMessage(role="assistant", content="…")
        messages.append(reply)
        yield messages, "", shown
        try:
            text = ""
            for kind, data in client.ask_stream(question, history, language, documents or None):
                if kind == "delta":
                    text += data
                    reply.content = text
                    yield messages, "", shown
                else:
                    reply.content = data["answer"]
                    messages.extend(panels(data))
                    shown = {**shown, data["answer"]: {"question": question, "citations": data.get("citations", [])}}
                    yield messages, "", shown
        except ClientError as exc:
            reply.content = f"⚠️ {exc}"
            yield messages, "", shown

    def feedback(data: gr.LikeData, shown: dict) -> None:
        answer = text_of(data.value)
        context = shown.get(answer, {})
        record_feedback(feedback_file(), context.get("question", ""), answer, context.get("citations", []),
                        bool(data.liked))

    def load_documents() -> tuple[Any, Any]:
        try:
            docs = client.documents()
        except ClientError:
            docs = []
        choices = [(f"{d['title']} ({d['id']})", d["id"]) for d in docs]
        return gr.update(choices=choices), gr.update(choices=choices, value=choices[0][1] if choices else None)

    def load_outline(document_id: str | None) -> Any:
        if not document_id:
            return gr.update(choices=[], value=None)
        try:
            tree = client.outline(document_id)
        except ClientError as exc:
            return gr.update(choices=[(f"⚠️ {exc}", "")], value=None)
        rows: list[tuple[str, str]] = []

        def walk(nodes: list[dict[str, Any]], depth: int) -> None:
            for n in nodes:
                rows.append(("　" * depth + f"{n.get('label', '')} {n.get('title', '')}".strip(), n["id"]))
                walk(n.get("children", []), depth + 1)

        walk(tree, 0)
        return gr.update(choices=rows, value=None)

    def show_section(section_id: str | None) -> str:
        if not section_id:
            return ""
        try:
            s = client.section(section_id)
        except ClientError as exc:
            return f"⚠️ {exc}"
        path = html.escape(" > ".join(s.get("path", [])))
        body = "<br>".join(html.escape(line) for line in s.get("text", "").splitlines())
        return f"### {html.escape(s.get('label', ''))} {html.escape(s.get('title', ''))}\n\n{path}<br>" \
               f"lines {s.get('line_start')}–{s.get('line_end')}\n\n<div>{body}</div>"

    with gr.Blocks(title="Plan Assistant") as demo:
        gr.Markdown("## 計画アシスタント / Plan Assistant\n計画の言葉と節番号で答えます。"
                    " Answers quote the plans with their section numbers.")
        shown = gr.State({})
        with gr.Tab("質問 / Ask"):
            chatbot = gr.Chatbot(label="会話 / Conversation", height=520, feedback_options=("Like", "Dislike"))
            with gr.Row():
                box = gr.Textbox(label="質問 / Question", placeholder="例: 短期借入金の限度額は？", scale=5)
                send = gr.Button("送信 / Ask", variant="primary", scale=1)
            with gr.Row():
                language = gr.Dropdown(LANGUAGES, value="auto", label="回答の言語 / Answer language")
                documents = gr.CheckboxGroup([], label="対象の計画 / Plans (none = all)")
                gr.ClearButton([chatbot, box], value="クリア / Clear")
            gr.Examples(EXAMPLES, inputs=[box], label="質問の例 / Examples")
        with gr.Tab("計画を読む / Browse"):
            document = gr.Dropdown([], label="計画 / Plan")
            outline = gr.Radio([], label="目次 / Outline")
            section = gr.Markdown()
        inputs = [box, chatbot, language, documents, shown]
        box.submit(respond, inputs, [chatbot, box, shown])
        send.click(respond, inputs, [chatbot, box, shown])
        chatbot.like(feedback, [shown], None)
        demo.load(load_documents, None, [documents, document])
        document.change(load_outline, document, outline)
        outline.change(show_section, outline, section)
    return demo


def main() -> None:
    parser = argparse.ArgumentParser(description="The Plan Assistant chat UI, against a running service.")
    parser.add_argument("--api-url", default="http://127.0.0.1:8000")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7860)
    args = parser.parse_args()
    build_ui(args.api_url).launch(server_name=args.host, server_port=args.port, share=False, theme=THEME)


if __name__ == "__main__":
    main()
