"""The chat UI (Gradio): ask the plans, see the passage behind every claim, browse the plans.

It talks to the service only over HTTP (`ui.client`), so it runs mounted at /ui by
`plan-assistant serve` or alone: `python -m ui.app --api-url http://127.0.0.1:8000 --port 7860`.
Nothing leaves the machine: analytics off, no share button or link, system fonts only, no
server-side rendering, and (through `mount_ui` or `python -m ui.app`) the page's link-preview
tags that name other sites removed.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry, no version check
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr  # after the environment above: analytics off
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware

from ui.client import ClientError, PlanClient

log = logging.getLogger("plan_assistant.ui")

EXAMPLES = [
    "短期借入金の限度額は？",
    "留学生の受け入れについて何と書いてある？",
    "東北大学の国際戦略で研究についてはどんなアクションがある？",
    "What does the plan say about credit transfer?",
    "What is the limit on short-term borrowing?",
    "What does Tohoku's strategy say about diversity?",
]
LANGUAGES = [("自動 / Auto", "auto"), ("日本語", "ja"), ("English", "en")]
# System fonts only (gr.themes.GoogleFont would load fonts from Google).
THEME = gr.themes.Default(
    font=["system-ui", "-apple-system", "Segoe UI", "Hiragino Sans", "Noto Sans CJK JP", "IPAGothic", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
)
ERROR_MARK = "⚠️"
# The layout in a window as small as a phone's (390×844) and a laptop's (1280×800): the chat takes
# the height the header and the question row leave, so the question box is in view without
# scrolling; the header shrinks on a narrow screen; a table fits its panel, its cells wrapping;
# a dropdown's text stops before its arrow.
CSS = """
#chat { --chat-height: max(300px, calc(100dvh - 330px)); }
@media (max-width: 640px) {
  #chat { --chat-height: max(260px, calc(100dvh - 360px)); }
  #title h2 { font-size: 1.1rem; margin: 0 0 .25rem; }
}
#title p { font-size: .85rem; margin: 0; }
#chat table { width: 100%; table-layout: fixed; border-collapse: collapse; }
#chat td, #chat th { overflow-wrap: anywhere; padding: 2px 6px; border-bottom: 1px solid var(--border-color-primary); }
#chat blockquote { overflow-wrap: anywhere; }
input[role=combobox] { padding-right: 1.75rem; text-overflow: ellipsis; }
"""


def feedback_file() -> Path:
    return Path(os.environ.get("PLAN_ASSISTANT_FEEDBACK_FILE", "data/feedback.jsonl"))


# --- messages -----------------------------------------------------------------------------


def text_of(content: Any) -> str:
    """A chat message's text: Gradio 6 gives content as a list of blocks, or a string."""
    if isinstance(content, str):
        return content
    if isinstance(content, (list, tuple)):
        return "".join(text_of(part) for part in content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    return ""


def _fields(message: Any) -> dict[str, Any]:
    if isinstance(message, dict):
        return message
    return {"role": getattr(message, "role", None), "content": getattr(message, "content", None),
            "metadata": getattr(message, "metadata", None)}


def is_panel(message: Any) -> bool:
    return bool((_fields(message).get("metadata") or {}).get("title"))


def shown_answer(text: str) -> str:
    """An answer as put in the chat: `&` and `<` escaped, so plan text is never taken for HTML
    (`>` is left for Markdown's quotes)."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


def raw_answer(content: Any) -> str:
    """The answer's own text back from the chat (the inverse of `shown_answer`)."""
    return html.unescape(text_of(content)).strip()


def api_history(messages: list[Any]) -> list[dict[str, str]]:
    """The conversation as the API takes it: the user's and the assistant's text, without the
    source panels, and without turns that ended in an error."""
    turns: list[dict[str, str]] = []
    for message in messages:
        m = _fields(message)
        role = m.get("role")
        if role not in ("user", "assistant") or is_panel(m):
            continue
        if role == "user":
            text = text_of(m.get("content")).strip()
        else:
            text = raw_answer(m.get("content"))
            if text.startswith(ERROR_MARK):  # the question it failed to answer goes too
                if turns and turns[-1]["role"] == "user":
                    turns.pop()
                continue
        if text:
            turns.append({"role": role, "content": text})
    return turns


def turn_at(messages: list[Any], index: Any) -> tuple[str, str]:
    """(question, raw answer) of the exchange holding message `index` (a like may name a panel)."""
    fields = [_fields(m) for m in messages]
    if not fields:
        return "", ""
    i = index[0] if isinstance(index, (list, tuple)) else int(index)
    i = max(0, min(i, len(fields) - 1))
    start = next((j for j in range(i, -1, -1) if fields[j].get("role") == "user"), None)
    if start is None:
        return "", raw_answer(fields[i].get("content"))
    question = text_of(fields[start].get("content")).strip()
    answer = next((raw_answer(m.get("content")) for m in fields[start + 1:]
                   if m.get("role") == "assistant" and not is_panel(m)), "")
    return question, answer


# --- sources ------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[。．！？!?])")
_NOT_WORD = re.compile(r"[\s、。，．,.・:：;；「」『』()（）\[\]【】〔〕\"'“”‘’-]")


def _squash(text: str) -> str:
    return "".join(text.split())


def _bigrams(text: str) -> set[str]:
    core = _NOT_WORD.sub("", text)
    return {core[i:i + 2] for i in range(len(core) - 1)}


def _quoted(sentence: str, answer: str, answer_grams: set[str]) -> bool:
    """Does the answer quote this sentence, or say most of it (its character pairs)?"""
    core = _squash(sentence)
    if len(core) >= 4 and core in answer:
        return True
    grams = _bigrams(core)
    return len(grams) >= 5 and len(grams & answer_grams) / len(grams) >= 0.6


def highlight(passage: str, answer: str) -> str:
    """The passage as HTML-safe lines, the sentences the answer quotes (or mostly says) in <mark>."""
    quoted = _squash(answer)
    grams = _bigrams(quoted)
    lines = []
    for line in passage.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = []
        for sentence in filter(None, _SENTENCE_END.split(line)):
            safe = html.escape(sentence)
            parts.append(f"<mark>{safe}</mark>" if _quoted(sentence, quoted, grams) else safe)
        lines.append("".join(parts))
    return "<br>".join(lines)


def path_text(path: list[str] | None) -> str:
    """Section titles from the top down, HTML-safe ("A › B"), a title repeated by its child once."""
    path = [str(p) for p in path or [] if p]
    titles = [p for n, p in enumerate(path) if n == 0 or p != path[n - 1]]
    return " › ".join(html.escape(t) for t in titles)


def citation_heading(citation: dict[str, Any]) -> str:
    """Label and title, each once: the service's `heading`, or for an older service without it,
    the label and the last title (the title left out where the label ends with it)."""
    if citation.get("heading"):
        return str(citation["heading"])
    label = str(citation.get("label") or "")
    title = str((citation.get("path") or [""])[-1])
    return label if title and label.endswith(title) else f"{label} {title}".strip()


def panel_title(citation: dict[str, Any], related: bool = False, markers: str | None = None) -> str:
    """"[1] Ⅶ-1 短期借入金の限度額 — 国立大学法人横浜国立大学 中期計画"."""
    mark = "関連 / Related:" if related else (markers or str(citation.get("marker") or ""))
    return f"{mark} {citation_heading(citation)} — {citation.get('document_title', '')}".strip()


def rows_table(rows: list[Any]) -> str:
    """A table's rebuilt rows (「収入 / 運営費交付金: 53,301 百万円」) as an HTML table, HTML-safe."""
    cells = []
    for row in rows:
        item, sep, value = str(row).partition(": ")
        cells.append(f"<tr><td>{html.escape(item)}</td><td>{html.escape(value) if sep else ''}</td></tr>")
    return ("<table><thead><tr><th>項目 / item</th><th>値 / value</th></tr></thead>"
            f"<tbody>{''.join(cells)}</tbody></table>")


def panel_body(group: list[dict[str, Any]], answer: str) -> str:
    """The titles above the section (those its heading does not say), plan, lines, whether the
    quotes were checked, then each passage (cited sentences marked); a table as a table."""
    first = group[0]
    where = path_text(first.get("context") if "heading" in first else first.get("path"))
    start, end = min(c.get("line_start") or 0 for c in group), max(c.get("line_end") or 0 for c in group)
    verified = [c.get("verified") for c in group]
    checked = (" · ✓ 原文と一致 / verified against the plan" if all(v is True for v in verified)
               else " · 未確認 / not verified" if False in verified else "")
    body = (f"<div><b>{where}</b></div>" if where else "") + \
        f"<div>{html.escape(str(first.get('document_title', '')))} · 行 / lines {start}–{end}{checked}</div>"
    passages = list(dict.fromkeys(str(c.get("text", "")) for c in group))
    body += "".join(f"<blockquote>{highlight(p, answer)}</blockquote>" for p in passages)
    rows = first.get("rows") or []
    if rows:
        body += f"<div>表 / table:</div>{rows_table(rows)}"
    return body


def source_panel(group: list[dict[str, Any]], answer: str, related: bool = False, open_: bool = False
                 ) -> gr.ChatMessage:
    """One collapsible panel under an answer: the citations of one section (open_: unfolded)."""
    markers = "".join(str(c.get("marker") or "") for c in group)
    metadata: dict[str, Any] = {"title": panel_title(group[0], related, markers)}
    if not open_:
        metadata["status"] = "done"  # Gradio starts a "done" panel folded
    return gr.ChatMessage(role="assistant", content=panel_body(group, answer), metadata=metadata)


def by_section(citations: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Citations of one section (and one table) together, in the order first cited: one panel each."""
    groups: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for c in citations:
        key = (str(c.get("section_id") or c.get("marker")), tuple(str(r) for r in c.get("rows") or []))
        groups.setdefault(key, []).append(c)
    return list(groups.values())


def panels(answer: dict[str, Any]) -> list[gr.ChatMessage]:
    """The sources of an answer, one panel per section (the first unfolded), or when the plans do
    not answer it, the nearest sections (folded); and the answer's notes, if any."""
    text = str(answer.get("answer", ""))
    out = [source_panel(g, text, open_=(n == 0)) for n, g in enumerate(by_section(answer.get("citations") or []))]
    if not out:
        out = [source_panel(g, text, related=True) for g in by_section(answer.get("related") or [])]
    notes = [str(n) for n in answer.get("notes") or [] if n]
    if notes:
        out.append(gr.ChatMessage(role="assistant", content="<br>".join(html.escape(n) for n in notes),
                                  metadata={"title": "注記 / Notes", "status": "done"}))
    return out


def error_message(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return f"{ERROR_MARK} 回答できませんでした / The question could not be answered: {exc}"
    return (f"{ERROR_MARK} 予期しないエラー / Unexpected error ({type(exc).__name__}); "
            "詳細はサーバーのログに / details are in the server log.")


# --- feedback -----------------------------------------------------------------------------


def record_feedback(path: Path, question: str, answer: str, citations: list[dict[str, Any]], liked: Any,
                    language: str | None = None) -> dict[str, Any]:
    """Append one 👍/👎 with what was asked and shown, as a JSON line: material for the evaluation set."""
    rating = {True: "like", False: "dislike", "Like": "like", "Dislike": "dislike"}.get(liked, str(liked))
    row = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "liked": rating == "like", "rating": rating,
           "question": question, "answer": answer, "language": language, "citations": citations}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return row


# --- the plan browser ---------------------------------------------------------------------


def document_choices(documents: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for d in documents:
        name = str(d.get("title") or d["id"])
        if d.get("title_en") and d["title_en"] != name:
            name += f" / {d['title_en']}"
        out.append((name, d["id"]))
    return out


def outline_choices(nodes: list[dict[str, Any]], depth: int = 0) -> list[tuple[str, str]]:
    """The section tree as an indented list of (heading, id)."""
    rows: list[tuple[str, str]] = []
    for n in nodes:
        heading = n.get("heading") or f"{n.get('label', '')} {n.get('title', '')}".strip()
        rows.append(("　" * depth + str(heading), n["id"]))
        rows += outline_choices(n.get("children") or [], depth + 1)
    return rows


def section_markdown(section: dict[str, Any]) -> str:
    """One section to read: heading, plan, path, lines, then its text by paragraphs (HTML-safe)."""
    heading = section.get("heading") or f"{section.get('label', '')} {section.get('title', '')}".strip()
    document = section.get("document") or {}
    paragraphs = re.split(r"\n\s*\n", str(section.get("text", "")))
    text = "".join("<p>" + "<br>".join(html.escape(line.strip()) for line in p.splitlines() if line.strip()) + "</p>"
                   for p in paragraphs if p.strip())
    out = (f"### {html.escape(str(heading))}\n\n"
           f"<div>{html.escape(str(document.get('title', section.get('document_id', ''))))} · "
           f"{path_text(section.get('path'))} · 行 / lines {section.get('line_start')}–{section.get('line_end')}</div>"
           f"\n\n<div>{text}</div>")
    for table in section.get("tables") or []:
        out += f"\n\n<div>表 / table:</div>{rows_table(table)}"
    return out


# --- the app ------------------------------------------------------------------------------


def converse(client: PlanClient, question: str, messages: list, language: str | None, documents: list[str] | None,
             shown: dict) -> Iterator[tuple[list, Any, dict]]:
    """One turn of the chat: (messages, question box, shown answers) after each piece of the answer.
    The answer grows as it streams, then come its source panels. A failure replaces the
    answer (unchecked pieces are not left standing) with a message saying what went wrong."""
    question = (question or "").strip()
    messages = list(messages or [])
    if not question:
        yield messages, gr.update(), shown
        return
    history = api_history(messages)
    reply = gr.ChatMessage(role="assistant", content="…")
    messages += [gr.ChatMessage(role="user", content=question), reply]
    yield messages, "", shown
    text = ""
    try:
        for kind, data in client.ask_stream(question, history, language or "auto", documents or None):
            if kind == "delta":
                text += data
                reply.content = shown_answer(text)
                yield messages, "", shown
            else:
                reply.content = shown_answer(data["answer"])
                messages += panels(data)
                shown = {**shown, data["answer"].strip(): {
                    "question": question, "language": data.get("language"), "found": data.get("found"),
                    "citations": data.get("citations") or data.get("related") or []}}
                yield messages, "", shown
    except Exception as exc:  # a message in the chat, never a traceback
        if not isinstance(exc, ClientError):
            log.exception("answering %r failed", question)
        reply.content = error_message(exc)
        yield messages, "", shown


def build_ui(api_url: str) -> gr.Blocks:
    client = PlanClient(api_url)

    def respond(question: str, messages: list, language: str, documents: list[str], shown: dict
                ) -> Iterator[tuple[list, Any, dict]]:
        yield from converse(client, question, messages, language, documents, shown)

    def feedback(messages: list, shown: dict, data: gr.LikeData) -> None:
        question, answer = turn_at(messages or [], data.index)
        if not answer or answer.startswith(ERROR_MARK):
            return
        context = shown.get(answer, {})
        try:
            record_feedback(feedback_file(), question or context.get("question", ""), answer,
                            context.get("citations", []), data.liked, context.get("language"))
        except OSError as exc:
            gr.Warning(f"評価を保存できません / The feedback could not be saved: {exc}")
            return
        gr.Info("ありがとうございます / Thank you for the feedback")

    def forget() -> dict:
        return {}

    def load_documents() -> tuple[Any, Any, Any]:
        try:
            choices = document_choices(client.documents())
        except ClientError as exc:
            notice = f"{ERROR_MARK} 計画の一覧を読めません / The plans could not be listed: {html.escape(str(exc))}"
            return gr.update(choices=[]), gr.update(choices=[], value=None), gr.update(value=notice, visible=True)
        return (gr.update(choices=choices), gr.update(choices=choices, value=choices[0][1] if choices else None),
                gr.update(value="", visible=False))

    def load_outline(document_id: str | None) -> tuple[Any, str]:
        if not document_id:
            return gr.update(choices=[], value=None), ""
        try:
            rows = outline_choices(client.outline(document_id))
        except ClientError as exc:
            return gr.update(choices=[], value=None), f"{ERROR_MARK} {html.escape(str(exc))}"
        return gr.update(choices=rows, value=None), "目次から節を選んでください。 / Choose a section from the outline."

    def show_section(section_id: str | None) -> Any:
        if not section_id:
            return gr.update()
        try:
            return section_markdown(client.section(section_id))
        except ClientError as exc:
            return f"{ERROR_MARK} {html.escape(str(exc))}"

    with gr.Blocks(title="計画アシスタント / Plan Assistant", analytics_enabled=False) as demo:
        gr.Markdown("## 計画アシスタント / Plan Assistant\n"
                    "計画の言葉と節番号で答えます。出典は回答の下に表示されます。  \n"
                    "Answers quote the plans with their own section numbers; the sources are under each answer.",
                    elem_id="title")
        notice = gr.Markdown(visible=False)
        shown = gr.State({})
        with gr.Tab("質問 / Ask"):
            # No floating label: messages scrolled under it were hidden by it.
            chatbot = gr.Chatbot(label="会話 / Conversation", show_label=False, height="var(--chat-height)",
                                 elem_id="chat", buttons=["copy", "copy_all"],
                                 feedback_options=("Like", "Dislike"), latex_delimiters=[], allow_tags=False,
                                 placeholder="計画について質問してください。 / Ask a question about the plans.")
            with gr.Row(equal_height=True):  # side by side on a phone too: the box wide, the button narrow
                box = gr.Textbox(label="質問 / Question", placeholder="例: 短期借入金の限度額は？", scale=5, min_width=200,
                                 max_lines=6, autofocus=True)
                send = gr.Button("送信 / Ask", variant="primary", scale=1, min_width=80)
            with gr.Row():
                language = gr.Radio(LANGUAGES, value="auto", label="回答の言語 / Answer language")
                documents = gr.CheckboxGroup([], label="対象の計画（未選択ならすべて） / Plans (none = all)")
                clear = gr.Button("クリア / Clear", variant="secondary")
            gr.Examples(EXAMPLES, inputs=[box], label="質問の例 / Example questions")
        with gr.Tab("計画を読む / Browse"), gr.Row():
            with gr.Column(scale=2):
                document = gr.Dropdown([], label="計画 / Plan")
                outline = gr.Dropdown([], label="目次 / Outline", filterable=True)
            with gr.Column(scale=3):
                section = gr.Markdown()
        inputs = [box, chatbot, language, documents, shown]
        box.submit(respond, inputs, [chatbot, box, shown])
        send.click(respond, inputs, [chatbot, box, shown])
        clear.click(lambda: ([], "", {}), None, [chatbot, box, shown], queue=False)
        chatbot.clear(forget, None, [shown], queue=False)  # the chat's own 🗑 button
        chatbot.like(feedback, [chatbot, shown], None)
        demo.load(load_documents, None, [documents, document, notice])
        document.change(load_outline, document, [outline, section])
        outline.change(show_section, outline, section)
    return demo


# --- serving ------------------------------------------------------------------------------

_EXTERNAL_META = re.compile(rb"<meta\b[^>]*\bcontent=\"https?://[^\"]*\"[^>]*>\s*", re.IGNORECASE)
_ROOT_MANIFEST = b'<link rel="manifest" href="/manifest.json"'


class LocalPage:
    """ASGI middleware for the Gradio app: drops from its HTML page the link-preview <meta> tags
    that name other sites (og:image, twitter:image, og:url: never fetched by a browser, but not
    ours either) and points the manifest link at the app's own copy (the page asks the server's
    root for it, which is not there when the UI is mounted under /ui)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        head = scope.get("method") == "HEAD"
        start: dict | None = None
        chunks: list[bytes] = []

        async def capture(message: dict) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                if headers.get("content-type", "").startswith("text/html") and "content-encoding" not in headers:
                    start = message  # held until the whole page is here
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = _EXTERNAL_META.sub(b"", b"".join(chunks)).replace(
                    _ROOT_MANIFEST, b'<link rel="manifest" href="./manifest.json"')
                headers = MutableHeaders(raw=list(start.get("headers", [])))
                if not head:
                    headers["content-length"] = str(len(body))
                await send({**start, "headers": headers.raw})
                await send({"type": "http.response.body", "body": b"" if head else body})
                return
            await send(message)

        await self.app(scope, receive, capture)


# What `mount_ui` passes to gradio.mount_gradio_app: system fonts, the layout's CSS, no server-side
# rendering (no Node process), no footer links to gradio.app, no PWA, and the page cleaned by LocalPage.
MOUNT_OPTIONS: dict[str, Any] = {
    "theme": THEME, "css": CSS, "ssr_mode": False, "footer_links": [], "pwa": False,
    "app_kwargs": {"middleware": [Middleware(LocalPage)]},
}


def mount_ui(app: Any, api_url: str, path: str = "/ui") -> Any:
    """Mount the UI on a FastAPI app, with every option that keeps its page local."""
    return gr.mount_gradio_app(app, build_ui(api_url), path=path, **MOUNT_OPTIONS)


def standalone_app(api_url: str) -> Any:
    """The UI alone (at /ui; / redirects there) against a service at api_url."""
    from fastapi import FastAPI
    from fastapi.responses import RedirectResponse

    app = FastAPI(title="Plan Assistant UI", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_api_route("/", lambda: RedirectResponse("/ui/"), include_in_schema=False)
    app.add_api_route("/favicon.ico", lambda: RedirectResponse("/ui/favicon.ico"), include_in_schema=False)
    return mount_ui(app, api_url)


def main() -> None:
    parser = argparse.ArgumentParser(description="The Plan Assistant chat UI, against a running service.")
    parser.add_argument("--api-url", default=os.environ.get("PLAN_ASSISTANT_API_URL", "http://127.0.0.1:8000"),
                        help="the service's base URL (default %(default)s)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=int, default=7860, help="port to listen on (default %(default)s)")
    args = parser.parse_args()
    import uvicorn

    print(f"Plan Assistant UI on http://{args.host}:{args.port}/ui/ (service: {args.api_url})", flush=True)
    uvicorn.run(standalone_app(args.api_url), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
