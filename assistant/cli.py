"""The `plan-assistant` command: the library's functions, one subcommand each."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click

from index.corpus import Corpus, build_corpus
from index.document import Chunk, Document, Section
from index.settings import Settings


def _corpus() -> Corpus:
    settings = Settings()
    if not settings.plans_dir.is_dir():
        raise click.ClickException(f"plans folder not found: {settings.plans_dir} (set PLAN_ASSISTANT_PLANS_DIR)")
    corpus = build_corpus(settings.plans_dir, settings.chunk_max_tokens)
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
