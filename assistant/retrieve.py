"""Hybrid retrieval: Japanese BM25 and Chroma vectors, fused, merged by section.

Keyword search (ours; Chroma's BM25 is Cloud-only) and vector search each rank chunks; the
rankings are fused by reciprocal rank fusion, a match of the question's terms in a section's
titles counts in its favour, and the chunks of one section are merged into one hit, so the
results read as the plan's sections. The best sections are then re-ranked by how much of the
question's weight they hold (`assistant.concepts`, the measure the answerer quotes by). An
English question is searched through the bilingual glossary: all Japanese renderings of its
terms join the query, with its English tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chromadb.api.models.Collection import Collection
from chromadb.errors import ChromaError
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.concepts import Lexicon, Wanted, passage_words
from assistant.question import Query, QueryError, plan_kinds, prepare
from index import store
from index.analyze import terms
from index.build import IndexNotReady, live_build, read_chunks, read_documents
from index.document import Chunk
from index.embed import HashingEmbedding, embedding_function
from index.frequency import zipf
from index.keyword import KeywordIndex, KeywordIndexError
from index.lexicon import bridge
from index.settings import Settings
from index.synonyms import Synonyms
from index.vectors import EXACT_MAX, ExactVectors

RRF_K = 60
CANDIDATES = 50
KEYWORD_WEIGHT = 1.0
VECTOR_WEIGHT = 0.3  # offline hashed n-grams: a recall aid, weaker evidence than keywords
MODEL_VECTOR_WEIGHT = 1.0  # a real embedding model: as strong as keywords
TITLE_WEIGHT = 0.5  # a full match of the question's terms in the section titles, in RRF units
RERANK_DEPTH = 20  # sections re-ranked by how much of the question they hold
RERANK_WEIGHT = 0.5  # that share's weight beside the fused score relative to the best (measured 0.25–1: all gain)
NAMED_WEIGHT = 0.1  # a section of the plan the question names (0.5 measured: one more answerable question refused)
KIND_WEIGHT = 0.2  # a section of a plan whose kind the question names (「このビジョン」), naming no plan (0.1–0.3 measured alike)
MIN_VECTOR_ONLY = 0.35  # below this, a hit found by vectors alone is noise (model embeddings only)


@dataclass
class Hit:
    """One section of a plan, with the chunks of it that matched, best first."""

    section_id: str
    document_id: str
    document_title: str
    label: str
    path: tuple[str, ...]
    score: float
    chunks: list[Chunk] = field(default_factory=list)
    held: float = 0.0  # the share of the question's weight its best chunk holds with its titles (re-ranked hits)


class Searcher:
    """The live index, loaded once: chunks, keyword index and the Chroma collection."""

    def __init__(self, settings: Settings) -> None:
        folder, manifest = live_build(settings)
        self.settings = settings
        self.key = manifest.key
        self.build = folder.name  # `<key>-<time>`, as the CURRENT file names it
        self.chunks = {c.id: c for c in read_chunks(folder)}
        self.document_texts = read_documents(folder)  # what citations are checked against
        self.embedding = embedding_function(settings.embedding_base_url, settings.embedding_model, settings.embedding_dimensions)
        self._api = store.client(folder / "chroma", settings.chroma_host, settings.chroma_port)
        try:
            self.keyword = KeywordIndex.load(folder / "keyword")
            self.collection: Collection = store.open_collection(self._api, manifest.collection, self.embedding)
            self.vectors = ExactVectors.read(self.collection) if len(self.chunks) <= EXACT_MAX else None
        except (KeywordIndexError, ChromaError, ValueError) as exc:
            self._api.close()
            raise IndexNotReady(f"index build {folder.name} cannot be opened ({exc}): "
                                "rebuild with `plan-assistant index build --force`") from exc
        except BaseException:
            self._api.close()
            raise
        self.names = {d.id: d.names for d in self.document_texts.values()}
        self.kinds = {d.id: plan_kinds(d.title, d.names) for d in self.document_texts.values()}
        vocabulary = {term: self.keyword.idf(term) for term in self.keyword.vocabulary}
        corpus_text = "\n".join(d.text for d in self.document_texts.values())
        self.glossary, self.thesaurus = bridge(settings.lexicons, vocabulary, corpus_text, self.names)
        self.lexicon = Lexicon(self.glossary, self.keyword.idf, Synonyms(self.keyword.vocabulary), self.thesaurus.plan_terms, zipf)
        paths = {c.section_id: c.path for c in self.chunks.values()}  # one analysis per section, not per chunk
        self._titles = {section: passage_words("\n".join(path)) for section, path in paths.items()}
        self.documents: list[str] = sorted({c.document_id for c in self.chunks.values()})

    def close(self) -> None:
        """Release the Chroma client: its files, threads and caches stay held until then, even
        after a newer build has replaced this one and its folder is deleted. Idempotent."""
        self._api.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def search(self, question: str, k: int | None = None, documents: list[str] | None = None,
               follow_up: str | None = None) -> tuple[Query, list[Hit]]:
        """The sections that best answer `question`; when it is a follow-up made standalone, the
        `follow_up` the user asked (its end) leads the re-ranking, the earlier words set the context."""
        query = prepare(question, self.glossary, self.thesaurus, self.settings.max_question_chars, self.names, self.kinds)
        unknown = set(documents or ()) - set(self.documents)
        if unknown:
            raise QueryError(f"unknown document(s): {', '.join(sorted(unknown))}")
        k = k or self.settings.top_k
        if query.language == "other":
            return query, []
        if not documents and len(query.named) == 1:  # a question naming one plan is answered from it
            scoped = self._search(query, k, sorted(query.named), follow_up)
            if scoped:
                return query, scoped
        return query, self._search(query, k, documents, follow_up)

    def _search(self, query: Query, k: int, documents: list[str] | None, follow_up: str | None) -> list[Hit]:
        allowed = set(documents) if documents else None
        keyword = [(i, s) for i, s in self.keyword.search(query.keyword_text, k=CANDIDATES, expansion=query.expansion)
                   if allowed is None or self.chunks[i].document_id in allowed]
        embedding = self.embedding([query.vector_text])[0].tolist()
        k_vector = min(CANDIDATES, len(self.chunks))
        vector = (self.vectors.nearest(embedding, k_vector, documents) if self.vectors is not None
                  else store.query(self.collection, embedding, k_vector, documents))
        if not keyword and (isinstance(self.embedding, HashingEmbedding) or not vector or vector[0][1] < MIN_VECTOR_ONLY):
            return []  # nothing in the plans shares the question's words
        scores: dict[str, float] = {}
        vector_weight = VECTOR_WEIGHT if isinstance(self.embedding, HashingEmbedding) else MODEL_VECTOR_WEIGHT
        for weight, ranking in ((KEYWORD_WEIGHT, keyword), (vector_weight, vector)):
            for rank, (chunk_id, _) in enumerate(ranking, start=1):
                scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (RRF_K + rank)
        wanted = set(terms(query.searched_text))
        for chunk_id in scores:
            titles = self._titles[self.chunks[chunk_id].section_id].terms
            if wanted and titles:
                scores[chunk_id] += TITLE_WEIGHT / RRF_K * len(wanted & titles) / len(wanted)
        return self._rerank(query, self._merge(scores), follow_up)[:k]

    def _rerank(self, query: Query, hits: list[Hit], follow_up: str | None = None) -> list[Hit]:
        """The best RERANK_DEPTH sections again, by their fused score (relative to the best one)
        and by how much of the question's weight their best chunk holds with the section's titles:
        ranks fused from two searches say little about a section holding the whole question. A
        section of the one plan the question names is preferred (not required: a question may
        name the wrong plan), and naming none, one of the plans whose kind it names (「このビジョン」)."""
        if not hits:
            return hits
        wanted = Wanted.of(query, self.lexicon, follow_up)
        top = hits[0].score
        for hit in hits[:RERANK_DEPTH]:
            held = hit.held = max(wanted.coverage(passage_words(c.text), self._titles[hit.section_id]) for c in hit.chunks)
            hit.score = (hit.score / top + RERANK_WEIGHT * held + (NAMED_WEIGHT if query.named == {hit.document_id} else 0.0)
                         + (KIND_WEIGHT if hit.document_id in query.kinded else 0.0))
        for hit in hits[RERANK_DEPTH:]:
            hit.score /= top
        return sorted(hits[:RERANK_DEPTH], key=lambda h: -h.score) + hits[RERANK_DEPTH:]

    def _merge(self, scores: dict[str, float]) -> list[Hit]:
        """One hit per section, scored by its best chunk (summing would favour long sections)."""
        hits: dict[str, Hit] = {}
        for chunk_id, score in sorted(scores.items(), key=lambda x: -x[1]):
            c = self.chunks[chunk_id]
            hit = hits.get(c.section_id)
            if hit is None:
                hits[c.section_id] = Hit(c.section_id, c.document_id, c.document_title, c.label, c.path, score, [c])
            else:
                hit.chunks.append(c)
        return sorted(hits.values(), key=lambda h: -h.score)


class PlanRetriever(BaseRetriever):
    """The hybrid search as a LangChain retriever: one Document per section hit."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    searcher: Searcher
    k: int | None = None
    documents: list[str] | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        _, hits = self.searcher.search(query, self.k, self.documents)
        return [
            LCDocument(
                page_content="\n".join(c.text for c in sorted(hit.chunks, key=lambda c: c.span.start)),
                metadata={
                    "section_id": hit.section_id,
                    "document_id": hit.document_id,
                    "document_title": hit.document_title,
                    "label": hit.label,
                    "path": list(hit.path),
                    "score": hit.score,
                    "chunk_ids": [c.id for c in hit.chunks],
                },
            )
            for hit in hits
        ]
