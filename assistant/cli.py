"""The `plan-assistant` command: the library's functions, one subcommand each."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from importlib.metadata import entry_points
from pathlib import Path

import click

from index.catalog import CatalogError
from index.corpus import Corpus, build_corpus
from index.document import Chunk, Document, Section
from index.settings import Settings

def _corpus() -> Corpus:
    settings = Settings()
    if not settings.plans_dir.is_dir():
        raise click.ClickException(f"plans folder not found: {settings.plans_dir} (set PLAN_ASSISTANT_PLANS_DIR)")
    try:
        corpus = build_corpus(settings.plans_dir, settings.chunk_max_tokens)
    except CatalogError as exc:
        raise click.ClickException(f"cannot read the catalog: {exc}") from None
    for error in corpus.report.errors:
        click.echo(f"warning: {error}", err=True)
    return corpus


def _document(corpus: Corpus, document_id: str) -> Document:
    try:
        return corpus.document(document_id)
    except KeyError:
        known = ", ".join(d.id for d in corpus.documents) or "none"
        raise click.ClickException(f"unknown document '{document_id}' (known: {known})") from None


def _section(corpus: Corpus, section_id: str) -> tuple[Document, Section]:
    document_id = section_id.split(":", 1)[0]
    doc = _document(corpus, document_id)
    try:
        return doc, doc.section(section_id)
    except KeyError:
        raise click.ClickException(
            f"unknown section '{section_id}' (see `plan-assistant plans outline {document_id}`)"
        ) from None


@click.group()
def main() -> None:
    """Plan Assistant: ask university plans, get their own words and section numbers."""
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]


@main.group()
def plans() -> None:
    """The plan documents: list them, walk their outline, read a section."""


@plans.command("list")
def plans_list() -> None:
    """One line per document: its id, then its title."""
    for doc in _corpus().documents:
        click.echo(f"{doc.id}\t{doc.title}\t{doc.title_en}".rstrip())


@plans.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--title", default="", help="Its title, if the text does not give it.")
@click.option("--title-en", default="", help="Its English title.")
@click.option("--alias", "aliases", multiple=True, help="A name users call its institution (repeatable): YNU, 横国.")
def plans_add(file: Path, title: str, title_en: str, aliases: tuple[str, ...]) -> None:
    """Add a plan file to the plans folder and rebuild the index, as POST /v1/documents does."""
    from assistant.api.service import PlanError, plan_about

    service = _service()
    try:
        document_id, manifest = service.add_plan(file.name, file.read_bytes(), plan_about(title, title_en, aliases))
    except PlanError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        service.close()
    doc = service.library.documents[document_id]
    click.echo(f"added {document_id}\t{doc.title}\t{doc.title_en}".rstrip())
    click.echo(f"names: {', '.join(doc.meta.get('names', [])) or '-'}; index {manifest.key}")


@plans.command("remove")
@click.argument("document_id")
def plans_remove(document_id: str) -> None:
    """Remove a plan from the plans folder (and its catalog entry) and rebuild, as DELETE does."""
    from assistant.api.service import PlanError

    service = _service()
    try:
        manifest = service.remove_plan(document_id)
    except PlanError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        service.close()
    click.echo(f"removed {document_id}; index {manifest.key}")


def _service():  # noqa: ANN202 - assistant.api.service.Service, imported late (the API is heavy)
    """The service's plan operations over the live index (built first if stale)."""
    from assistant.api.metrics import Metrics
    from assistant.api.service import Service
    from index.build import build_index

    settings = Settings()
    build_index(settings, progress=False)
    service = Service(settings, Metrics())
    service.load()
    return service


@plans.command("report")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
def plans_report(as_json: bool) -> None:
    """What ingestion did: files, sections, items, tables, repairs, skipped lines, errors."""
    report = _corpus().report
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(report.lines()))


@plans.command("outline")
@click.argument("document_id")
def plans_outline(document_id: str) -> None:
    """The section tree: label and title per line, indented by depth, with the section id."""
    doc = _document(_corpus(), document_id)
    for s in doc.sections:
        click.echo(f"{'  ' * (s.level - 1)}{s.heading}  [{s.id}]")


@plans.command("show")
@click.argument("section_id")
def plans_show(section_id: str) -> None:
    """A section's heading, path, lines and text (with its subsections), and rebuilt tables."""
    doc, s = _section(_corpus(), section_id)
    line_end = doc.text.count("\n", 0, s.end) + 1
    click.echo(f"{s.heading}\n{doc.title} > {' > '.join(s.path)}\n{doc.source} lines {s.span.line_start}-{line_end}\n")
    click.echo(doc.text[s.span.start : s.end])
    for table in s.tables:
        click.echo(f"\n{table.as_text()}")


@main.command("chunks")
@click.argument("document_id")
def chunks(document_id: str) -> None:
    """The document's chunks as JSON lines."""
    corpus = _corpus()
    _document(corpus, document_id)
    for chunk in corpus.chunks:
        if chunk.document_id == document_id:
            click.echo(json.dumps(chunk_json(chunk), ensure_ascii=False))


def chunk_json(chunk: Chunk) -> dict[str, object]:
    data = asdict(chunk)
    data["span"] = asdict(chunk.span)
    data["path"] = list(chunk.path)
    return data


@main.group("index")
def index_group() -> None:
    """The search index: build it, see what is served."""


@index_group.command("build")
@click.option("--force", is_flag=True, help="Rebuild even if the plans and settings are unchanged.")
def index_build(force: bool) -> None:
    """Parse, chunk, embed and index the plans; switch the live index only when complete."""
    from index.build import build_index

    settings = Settings()
    try:
        manifest, built = build_index(settings, force=force, progress=sys.stderr.isatty())
    except CatalogError as exc:
        raise click.ClickException(f"cannot read the catalog: {exc}") from None
    if not built:
        click.echo(f"index {manifest.key} is up to date (plans and settings unchanged)")
        return
    click.echo(f"built index {manifest.key} in {manifest.seconds:.2f} s ({manifest.embedding['name']})")
    report = manifest.report
    click.echo(
        f"files {report['files']}, documents {report['documents']}, sections {report['sections']}, "
        f"items {report['items']}, tables {report['tables']} ({report['table_rows']} rows), chunks {report['chunks']}"
    )
    repairs = ", ".join(f"{k} {v}" for k, v in sorted(report["repairs"].items())) or "none"
    click.echo(f"repairs: {repairs}\nskipped lines: {report['skipped_lines']}")
    for line in report["errors"]:
        click.echo(f"error: {line}")
    for line in report["notes"]:
        click.echo(f"note: {line}")


@index_group.command("status")
@click.option("--json", "as_json", is_flag=True)
def index_status(as_json: bool) -> None:
    """Which build is live, when it was built, and whether the plans changed since."""
    from index.build import status

    info = status(Settings())
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
    elif not info["ready"]:
        click.echo(info["reason"])
    else:
        fresh = "up to date" if info["up_to_date"] else "STALE: plans or settings changed; run `plan-assistant index build`"
        click.echo(f"index {info['key']} built {info['built']} ({info['embedding']['name']}), {fresh}")
        click.echo(f"chunks {info['report']['chunks']}, sections {info['report']['sections']}, at {info['path']}")
    if not info["ready"]:
        sys.exit(1)


@main.command("search")
@click.argument("question", required=False)
@click.option("-k", "--top-k", type=click.IntRange(1, 50), default=None, help="How many sections.")
@click.option("-d", "--document", "documents", multiple=True, help="Search only this document (repeatable).")
@click.option("--json", "as_json", is_flag=True)
def search(question: str | None, top_k: int | None, documents: tuple[str, ...], as_json: bool) -> None:
    """The plan sections that best match QUESTION (Japanese or English), ranked.

    Without QUESTION, asks for questions one per line until end of input.
    """
    from assistant.question import QueryError
    from assistant.retrieve import Searcher
    from index.build import IndexNotReady

    try:
        searcher = Searcher(Settings())
    except IndexNotReady as exc:
        raise click.ClickException(str(exc)) from None
    questions = [question] if question is not None else _prompted("question> ")
    for q in questions:
        try:
            query, hits = searcher.search(q, top_k, list(documents) or None)
        except QueryError as exc:
            if question is not None:
                raise click.ClickException(str(exc)) from None
            click.echo(f"error: {exc}")
            continue
        click.echo(_search_json(query, hits) if as_json else _search_text(query, hits))


def _prompted(prompt: str):
    """Questions typed at a prompt (or piped in), until end of input."""
    while True:
        try:
            line = input(prompt) if sys.stdin.isatty() else sys.stdin.readline()
        except EOFError:
            return
        if not line and not sys.stdin.isatty():
            return
        if line.strip():
            yield line.strip()


def _search_json(query, hits) -> str:
    return json.dumps({
        "query": {"text": query.text, "language": query.language, "added_terms": list(query.added_terms)},
        "results": [
            {"rank": n, "score": round(h.score, 5), "section_id": h.section_id, "document_id": h.document_id,
             "label": h.label, "path": list(h.path), "chunks": [c.id for c in h.chunks], "text": h.chunks[0].text}
            for n, h in enumerate(hits, start=1)
        ],
    }, ensure_ascii=False, indent=2)


def _search_text(query, hits) -> str:
    lines = [f"(searched as: {', '.join(query.added_terms)})"] if query.added_terms else []
    if not hits:
        lines.append("no section of the plans matches this question")
    for n, h in enumerate(hits, start=1):
        lines.append(f"{n}. [{h.score:.3f}] {h.document_id} {h.label}  {' > '.join(h.path)}")
        lines.append(f"   {h.chunks[0].text.splitlines()[0][:100]}")
    return "\n".join(lines)


@main.command("ask")
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="The whole answer as JSON (citations, notes, found).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None, help="Answer in this language.")
@click.option("--history", "history_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help='Earlier turns: a JSON list of {"role": "user"|"assistant", "content": "…"}.')
@click.option("-d", "--document", "documents", multiple=True, help="Only this document (repeatable).")
def ask(question: str | None, as_json: bool, lang: str | None, history_file: Path | None, documents: tuple[str, ...]) -> None:
    """Answer QUESTION from the plans, citing their sections ([1], [2] …).

    Without QUESTION, asks for questions one per line until end of input, as a conversation.
    Offline by default; with PLAN_ASSISTANT_LLM_BASE_URL set, a chat model writes the answer.
    """
    from assistant.chain import AnswerChain, Request
    from assistant.conversation import Turn
    from assistant.llm import chat_model
    from assistant.question import QueryError
    from assistant.retrieve import Searcher
    from index.build import IndexNotReady

    history = _read_history(history_file) if history_file else []
    settings = Settings()
    try:
        chain = AnswerChain(Searcher(settings), chat_model(settings))
    except IndexNotReady as exc:
        raise click.ClickException(str(exc)) from None
    for q in [question] if question is not None else _prompted("question> "):
        request = Request(q, tuple(history), lang, documents)
        try:
            answer = None
            for event in chain.stream(request):
                if event["type"] == "delta" and not as_json:
                    click.echo(event["text"], nl=False)
                elif event["type"] == "answer":
                    answer = event["answer"]
        except QueryError as exc:
            if question is not None:
                raise click.ClickException(str(exc)) from None
            click.echo(f"error: {exc}")
            continue
        click.echo(json.dumps(answer.as_dict(), ensure_ascii=False, indent=2) if as_json else _sources_text(answer))
        history += [Turn("user", q), Turn("assistant", answer.text)]


def _read_history(path: Path) -> list:
    from assistant.conversation import Turn

    try:
        turns = json.loads(path.read_text(encoding="utf-8"))
        history = [Turn(t["role"], t["content"]) for t in turns]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise click.ClickException(f'{path}: expected a JSON list of {{"role", "content"}} objects ({exc})') from None
    if any(t.role not in ("user", "assistant") or not isinstance(t.content, str) for t in history):
        raise click.ClickException(f"{path}: each turn's role is 'user' or 'assistant' and its content a string")
    return history


def _sources_text(answer) -> str:
    lines = ["", ""]
    for c in answer.citations or answer.related:
        mark = f"[{c.marker}]" if answer.found else "-"
        check = "verified" if c.verified else "NOT VERIFIED"
        lines.append(f"{mark} {c.document_id} {c.label} (lines {c.line_start}-{c.line_end}, {check})")
    lines += [f"note: {n}" for n in answer.notes]
    return "\n".join(lines)


@main.command("serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1; PLAN_ASSISTANT_HOST).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default 8000; PLAN_ASSISTANT_PORT).")
@click.option("--no-ui", is_flag=True, help="Serve the API only, without the chat UI at /ui.")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Service processes (default 1; PLAN_ASSISTANT_WORKERS); more than one needs PLAN_ASSISTANT_CHROMA_HOST.")
def serve(host: str | None, port: int | None, no_ui: bool, workers: int | None) -> None:
    """Run the HTTP service: the API (/v1/…, OpenAPI docs at /docs) and the chat UI (/ui).

    Builds the index first when the plans or settings changed. One process by default: the
    embedded Chroma store is not safe across processes. Several (--workers N, one per core)
    share a `chroma run` server (PLAN_ASSISTANT_CHROMA_HOST); an upload to one is served by
    all within a second. Uploads need PLAN_ASSISTANT_ADMIN_KEY.
    """
    import uvicorn

    from assistant.api import create_app
    from assistant.api.logs import configure
    from index.build import build_index

    chosen = {"host": host, "port": port, "workers": workers, "ui": False if no_ui else None}
    settings = Settings(**{k: v for k, v in chosen.items() if v is not None})
    if settings.workers > 1 and not settings.chroma_host:
        raise click.ClickException("several workers need a shared store: start `chroma run --path DIR --port 8001` "
                                   "and set PLAN_ASSISTANT_CHROMA_HOST=127.0.0.1 PLAN_ASSISTANT_CHROMA_PORT=8001")
    try:
        manifest, built = build_index(settings, progress=sys.stderr.isatty())
    except CatalogError as exc:
        raise click.ClickException(f"cannot read the catalog: {exc}") from None
    click.echo(f"{'built' if built else 'serving'} index {manifest.key}", err=True)
    configure()
    if settings.ui:
        try:
            import gradio  # noqa: F401 - only to say early that the UI cannot be served
        except ImportError as exc:
            click.echo(f"warning: the chat UI is not available ({exc}); serving the API only", err=True)
            settings.ui = False
    ui = f", chat UI at {settings.api_url}/ui" if settings.ui else ""
    click.echo(f"Plan Assistant on {settings.api_url} (API docs at {settings.api_url}/docs{ui}; "
               f"{settings.workers} worker{'s' if settings.workers > 1 else ''})", err=True)
    if settings.workers == 1:
        uvicorn.run(create_app(settings, mount_ui=settings.ui), host=settings.host, port=settings.port,
                    access_log=False, log_config=None)
        return
    from assistant.api import workers

    for name in ("host", "port", "ui", "api_url"):  # the worker processes read their settings from here
        os.environ[f"PLAN_ASSISTANT_{name.upper()}"] = str(getattr(settings, name))
    sys.exit(workers.run(settings.host, settings.port, settings.workers))


def _plugins() -> None:
    """Commands other packages add (entry point group `plan_assistant.commands`): the evaluation's
    `eval` group lives in eval/, which the library does not import."""
    for entry in entry_points(group="plan_assistant.commands"):
        main.add_command(entry.load(), entry.name)


_plugins()
