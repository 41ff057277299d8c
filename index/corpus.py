"""Ingestion: plan files in, parsed documents and chunks out, with a build report.

The steps, each its own module: load (bytes → text) → repair (extraction damage) →
sections (the plan's own tree) → tables (flattened tables rebuilt) → chunk. A file that
cannot be read is reported with its reason and the rest of the corpus still builds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from index.catalog import CATALOG_FILE, CatalogEntry, entry_for, read_catalog
from index.chunk import chunk_document
from index.document import Chunk, Document
from index.dictionary import romanized_names
from index.header import institution_names, read_header
from index.load import LoadError, LoadedText, load
from index.repair import repair
from index.sections import parse_sections, split_lines
from index.tables import find_tables


@dataclass
class BuildReport:
    """What a build did, counted, so nothing is dropped silently."""

    files: int = 0
    documents: int = 0
    sections: int = 0
    items: int = 0
    tables: int = 0
    table_rows: int = 0
    chunks: int = 0
    repairs: Counter[str] = field(default_factory=Counter)
    skipped_lines: int = 0  # non-blank lines that no chunk covers and no heading names
    errors: list[str] = field(default_factory=list)  # one line per file that could not be read
    notes: list[str] = field(default_factory=list)  # what could not be done with confidence

    def add(self, doc: Document, chunks: list[Chunk]) -> None:
        self.documents += 1
        self.sections += len(doc.sections)
        self.items += sum(len(s.items) for s in doc.sections)
        self.tables += sum(len(s.tables) for s in doc.sections)
        self.table_rows += sum(len(t.rows) for s in doc.sections for t in s.tables)
        self.chunks += len(chunks)
        self.repairs.update(r.kind for r in doc.repairs)
        self.skipped_lines += len(uncovered_lines(doc, chunks))
        self.notes.extend(f"{doc.source}: {n}" for n in doc.notes)

    def as_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "documents": self.documents,
            "sections": self.sections,
            "items": self.items,
            "tables": self.tables,
            "table_rows": self.table_rows,
            "chunks": self.chunks,
            "repairs": dict(self.repairs),
            "skipped_lines": self.skipped_lines,
            "errors": self.errors,
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        repairs = ", ".join(f"{k} {v}" for k, v in sorted(self.repairs.items())) or "none"
        out = [
            f"files {self.files}, documents {self.documents}, sections {self.sections}, items {self.items}, "
            f"tables {self.tables} ({self.table_rows} rows), chunks {self.chunks}",
            f"repairs: {repairs}",
            f"skipped lines: {self.skipped_lines}",
        ]
        out += [f"error: {e}" for e in self.errors]
        out += [f"note: {n}" for n in self.notes]
        return out


@dataclass
class Corpus:
    documents: list[Document]
    chunks: list[Chunk]
    report: BuildReport

    def document(self, document_id: str) -> Document:
        for d in self.documents:
            if d.id == document_id:
                return d
        raise KeyError(document_id)


def plan_files(plans_dir: Path) -> list[Path]:
    """Every file in the folder but the catalog and hidden/readme files, in name order."""
    return sorted(
        p
        for p in plans_dir.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name != CATALOG_FILE and p.stem.lower() != "readme"
    )


def parse_document(loaded: LoadedText, entry: CatalogEntry) -> Document:
    """Repair, read the header block, section and table one loaded text. What the catalog
    says of a plan wins; for what it does not say, the plan's own header (title, English
    title, institution, period), else the file name."""
    repaired = repair(loaded.text)
    header = read_header(repaired.text.split("\n"))
    institution = entry.institution or header.institution
    doc = Document(
        id=entry.id,
        title=entry.title or header.title or loaded.path.stem,
        title_en=entry.title_en or header.title_en,
        source=loaded.path.name,
        format=loaded.format,
        encoding=loaded.encoding,
        language=entry.language,
        original=loaded.text,
        text=repaired.text,
        meta={
            **header.as_meta(),
            "institution": institution,
            "institution_en": entry.institution_en,
            "period": entry.period or header.period,
            "versions": list(entry.versions) or header.dates,
            "names": list(dict.fromkeys((*entry.names, *institution_names(institution, abbreviate=not entry.aliases),
                                         *romanized_names(institution)))),
            "header_lines": sorted(k + 1 for k in header.lines),
        },
        repairs=repaired.repairs,
    )
    doc.sections = parse_sections(doc.id, doc.text, header.lines)
    lines = split_lines(doc.text)
    for s in doc.sections:
        own = [(ln.raw, ln.no, ln.start) for ln in lines[s.span.line_start - 1 : s.span.line_end]]
        s.tables, failures = find_tables(own, s.title)
        doc.notes.extend(
            f"table at lines {f.line_start}-{f.line_end} in {s.label} could not be rebuilt; kept as text"
            for f in failures
        )
    return doc


def build_corpus(plans_dir: Path, max_tokens: int) -> Corpus:
    """Parse and chunk every plan file in `plans_dir`."""
    catalog = read_catalog(plans_dir)
    report = BuildReport()
    documents: list[Document] = []
    chunks: list[Chunk] = []
    seen_ids: set[str] = set()
    for path in plan_files(plans_dir):
        report.files += 1
        try:
            loaded = load(path)
        except LoadError as exc:
            report.errors.append(str(exc))
            continue
        entry = entry_for(path, catalog)
        if entry.id in seen_ids:
            report.errors.append(f"{path.name}: document id '{entry.id}' is already used by another file")
            continue
        seen_ids.add(entry.id)
        doc = parse_document(loaded, entry)
        doc_chunks = chunk_document(doc, max_tokens)
        documents.append(doc)
        chunks.extend(doc_chunks)
        report.add(doc, doc_chunks)
    return Corpus(documents, chunks, report)


def uncovered_lines(doc: Document, chunks: list[Chunk]) -> list[int]:
    """Non-blank lines in no chunk, other than section headings (which every breadcrumb names)."""
    covered: set[int] = set()
    for c in chunks:
        covered.update(range(c.span.line_start, c.span.line_end + 1))
    headings = {s.span.line_start for s in doc.sections} | set(doc.meta.get("header_lines", ()))
    return [
        ln.no for ln in split_lines(doc.text) if ln.raw.strip() and ln.no not in covered and ln.no not in headings
    ]
