"""The plans as parsed documents: what the documents, outline and section endpoints show.

Parsed from the plans folder at startup and after every upload or delete (half a second for
the bundled plans), because the live build keeps only the texts and chunks, not the full
section tree with its titles and labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.api import schemas
from assistant.api.logs import log
from index.catalog import CatalogError
from index.corpus import build_corpus
from index.document import Document, Section
from index.settings import Settings


@dataclass
class Library:
    documents: dict[str, Document] = field(default_factory=dict)
    chunk_counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # files that could not be read, with why

    @classmethod
    def read(cls, settings: Settings) -> Library:
        try:
            corpus = build_corpus(settings.plans_dir, settings.chunk_max_tokens)
        except (OSError, CatalogError) as exc:
            log.warning("cannot read the plans in %s: %s", settings.plans_dir, exc)
            return cls(errors=[str(exc)])
        counts: dict[str, int] = {}
        for chunk in corpus.chunks:
            counts[chunk.document_id] = counts.get(chunk.document_id, 0) + 1
        return cls({d.id: d for d in corpus.documents}, counts, list(corpus.report.errors))

    def document(self, document_id: str) -> Document:
        """The document, or KeyError naming the known ids."""
        try:
            return self.documents[document_id]
        except KeyError:
            raise KeyError(f"unknown document '{document_id}' (known: {', '.join(self.documents) or 'none'})") from None

    def section(self, section_id: str) -> tuple[Document, Section]:
        document_id = section_id.split(":", 1)[0]
        doc = self.documents.get(document_id)
        if doc is None:
            raise KeyError(f"unknown section '{section_id}': no document '{document_id}'")
        try:
            return doc, doc.section(section_id)
        except KeyError:
            raise KeyError(f"unknown section '{section_id}' (see GET /v1/documents/{document_id}/outline)") from None

    # --- the wire views -----------------------------------------------------------------

    def document_out(self, doc: Document, indexed: set[str]) -> schemas.DocumentOut:
        return schemas.DocumentOut(
            id=doc.id, title=doc.title, title_en=doc.title_en, source=doc.source, format=doc.format,
            language=doc.language, institution=str(doc.meta.get("institution", "")),
            period=str(doc.meta.get("period", "")), names=list(doc.meta.get("names", [])), sections=len(doc.sections),
            chunks=self.chunk_counts.get(doc.id, 0), indexed=doc.id in indexed,
        )

    @staticmethod
    def outline(doc: Document) -> schemas.Outline:
        nodes = {s.id: schemas.OutlineNode(id=s.id, label=s.label, title=s.title, heading=s.heading) for s in doc.sections}
        roots: list[schemas.OutlineNode] = []
        for s in doc.sections:  # pre-order: a parent is always made before its children
            (nodes[s.parent_id].children if s.parent_id in nodes else roots).append(nodes[s.id])
        return schemas.Outline(document=_ref(doc), sections=roots)

    @staticmethod
    def section_out(doc: Document, s: Section) -> schemas.SectionOut:
        end = max(s.end, s.span.end)
        last = max(s.span.start, end - 1)  # the last character's line (a final newline ends its line)
        return schemas.SectionOut(
            id=s.id, label=s.label, title=s.title, heading=s.heading, path=list(s.path), level=s.level,
            parent_id=s.parent_id, children=list(s.children), text=doc.text[s.span.start:end],
            line_start=s.span.line_start, line_end=doc.text.count("\n", 0, last) + 1,
            tables=[[str(r) for r in t.rows] for t in s.tables], document=_ref(doc),
        )


def _ref(doc: Document) -> schemas.DocumentRef:
    return schemas.DocumentRef(id=doc.id, title=doc.title, title_en=doc.title_en)
