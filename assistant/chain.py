"""The answering chain: condense → detect language → retrieve → answer → verify citations.

One runnable (langchain-core) that the CLI, the API and the evaluation all use. It streams
events: `{"type": "delta", "text": …}` pieces of the answer as they are written, then one
`{"type": "answer", "answer": Answer}` with the checked text and verified citations.

The offline answerer always runs first (it costs milliseconds): when it finds the plans
silent (less than half the evidence it needs to answer), that is the answer, and no model is
asked to pad it with weak matches. Otherwise a configured chat model writes the answer from
the same sections, and may itself find them silent; if the model fails or times out, the
offline answer is given and says so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableGenerator, RunnableLambda

from assistant import llm
from assistant.citation import Answer, Citation, cite_chunk, markers_in, verify
from assistant.conversation import Turn, pointed_at, standalone
from assistant.offline import FOUND_COVERAGE, answer_offline, refusal
from assistant.outline import answer_listing, listing
from assistant.question import Query
from assistant.retrieve import Hit, Searcher
from assistant.scope import not_loaded, not_mentioned, unloaded
from index.build import DocumentText

CHUNKS_PER_SECTION = 2  # passages of one section put before the model
# With a model, a question the offline answerer refuses holding at least this share of the
# evidence it needs still goes to the model, which reads meaning a count of terms misses (and
# may still find the plans silent). One with less is not asked: the plans hardly touch it.
ASK_MODEL_SHARE = 0.5


@dataclass(frozen=True)
class Request:
    """What the chain is asked: a question, the earlier turns, and optional choices."""

    question: str
    history: tuple[Turn, ...] = ()
    language: str | None = None  # answer in this language instead of the question's
    documents: tuple[str, ...] = ()  # only these plans
    top_k: int | None = None  # sections retrieved (default: the configured top_k)


class AnswerChain:
    """Answers questions over the live index; `chat` is None for the offline answerer."""

    def __init__(self, searcher: Searcher, chat: BaseChatModel | None = None) -> None:
        self.searcher = searcher
        self.chat = chat
        # Each step adds its result to the inputs (plain lambdas: RunnablePassthrough.assign
        # runs its branch on a thread pool, which cost more than the offline answer itself).
        self.runnable: Runnable[dict[str, Any], dict[str, Any]] = (
            RunnableLambda(lambda x: {**x, "standalone": self._condense(x)}, name="condense")
            | RunnableLambda(lambda x: {**x, "retrieved": self._retrieve(x)}, name="retrieve")
            | RunnableGenerator(self._answer, name="answer")
        )

    def stream(self, request: Request) -> Iterator[dict[str, Any]]:
        """Events of one answer; a QueryError (bad question) is raised before any event."""
        yield from self.runnable.stream({"request": request})

    def invoke(self, request: Request) -> Answer:
        answer = None
        for event in self.stream(request):
            if event["type"] == "answer":
                answer = event["answer"]
        assert answer is not None
        return answer

    # --- the steps ------------------------------------------------------------------

    def _condense(self, inputs: dict[str, Any]) -> str:
        request: Request = inputs["request"]
        if not request.history:
            return request.question
        if self.chat is not None:
            if (item := pointed_at(request.question, list(request.history))) is not None:
                return item  # 「2つ目は？」: the item of the list just given, not the model's rewrite
            try:
                return llm.condense(self.chat, self.searcher.settings, _pairs(request.history), request.question)
            except Exception:  # noqa: BLE001 - any endpoint failure: the offline rewrite stands in
                pass
        return standalone(request.question, list(request.history))

    def _retrieve(self, inputs: dict[str, Any]) -> tuple[Query, list[Hit]]:
        request: Request = inputs["request"]
        return self.searcher.search(inputs["standalone"], request.top_k, list(request.documents) or None, request.question)

    def _answer(self, chunks: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        inputs: dict[str, Any] = {}
        for chunk in chunks:  # one dict from the steps above; merged in case it comes in pieces
            inputs.update(chunk)
        request: Request = inputs["request"]
        query, hits = inputs["retrieved"]
        searcher = self.searcher
        language = request.language or query.language
        missing = [] if request.documents else unloaded(request.question, searcher.document_texts)
        if missing and query.named and language in ("ja", "en"):  # about a loaded plan and a university no plan mentions
            yield from _whole(refusal(query, hits, request.question, language, head=not_mentioned(missing, language)),
                              searcher.document_texts)
            return
        found = listing(query, hits, searcher.document_texts, searcher.lexicon, request.question)
        if found is not None and language in ("ja", "en"):  # the outline answers it, model or not
            answer = answer_listing(found, query, request.question, language, searcher.lexicon.glossary)
            yield from _whole(_scoped(answer, missing), searcher.document_texts)
            return
        offline = answer_offline(query, hits, searcher.document_texts, searcher.lexicon,
                                 question=request.question, language=request.language)
        if not offline.found and query.named and not request.documents:
            offline = self._elsewhere(inputs["standalone"], request, query, offline)
        answer = offline
        near = offline.evidence >= ASK_MODEL_SHARE * FOUND_COVERAGE.get(query.language, 1.0)
        if self.chat is not None and (offline.found or near):
            if missing:
                yield {"type": "delta", "text": not_loaded(missing, language) + "\n\n"}
            answer = _scoped((yield from self._llm_answer(request, query, hits, offline)), missing)
        else:  # written whole in a few milliseconds: one piece (each event costs the runnable machinery)
            answer = _scoped(offline, missing)
            yield {"type": "delta", "text": answer.text}
        verify(answer.citations + answer.related, searcher.document_texts)
        yield {"type": "answer", "answer": answer}

    def _elsewhere(self, standalone: str, request: Request, query: Query, refused: Answer) -> Answer:
        """The plan a question names does not say: the answer from all the plans' best sections
        (the named plan's first), what another plan says labelled as theirs; else the refusal."""
        if len(self.searcher.documents) < 2:
            return refused
        _, hits = self.searcher.search(standalone, request.top_k, self.searcher.documents, request.question)
        found = answer_offline(query, hits, self.searcher.document_texts, self.searcher.lexicon,
                               question=request.question, language=request.language)
        if not found.found or all(c.document_id in query.named for c in found.citations):
            return found if found.found else refused
        named = [self.searcher.document_texts[d] for d in sorted(query.named)]
        language = request.language or query.language
        if language == "en":
            titles = ", ".join(d.title_en or d.title for d in named)
            lead = f"{titles} does not say. Another plan does:"
        else:
            lead = f"{'、'.join(d.title for d in named)}には、この質問に答える記載が見当たりません。ほかの計画には次の記載があります。"
        return replace(found, text=f"{lead}\n\n{found.text}", notes=[*found.notes, lead])

    def _llm_answer(self, request: Request, query: Query, hits: list[Hit], offline: Answer) -> Iterator[dict[str, Any]]:
        # The passages the model is shown (the context budget may drop or cut some): only these can be cited.
        _, candidates = llm.fence(_candidates(hits), self.searcher.settings.llm_context_tokens)
        language = request.language or query.language
        pieces: list[str] = []
        settings = self.searcher.settings
        deadline = time.monotonic() + settings.llm_timeout
        stream = llm.answer_stream(self.chat, settings, query.text, language, candidates, _pairs(request.history))
        try:
            for piece in stream:
                pieces.append(piece)
                yield {"type": "delta", "text": piece}
                if time.monotonic() > deadline:  # a model that loops keeps the stream alive past any read timeout
                    raise TimeoutError(f"still writing after {settings.llm_timeout:g} s")
        except Exception as exc:  # noqa: BLE001 - connection, timeout, HTTP status, the deadline: fall back
            note = (f"The language model did not answer ({_reason(exc)}); this is the offline answer."
                    if language == "en" else f"言語モデルが応答しなかったため（{_reason(exc)}）、オフラインの回答を示します。")
            offline.notes.append(note)
            yield {"type": "delta", "text": f"\n\n{note}\n\n{offline.text}" if pieces else f"{note}\n\n{offline.text}"}
            return offline
        finally:
            stream.close()  # closes the HTTP stream: the server stops writing to nobody
        text, removed, unsupported = llm.check_markers("".join(pieces), candidates)
        misquoted = [s for s in unsupported if llm.misquotes(s, candidates)]
        for sentence in misquoted:  # the model's words presented as the plan's are not shown
            text = text.replace(sentence, "", 1)
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
        used = set(markers_in(text))
        notes = [f"removed marker(s) naming no source: {', '.join(f'[{m}]' for m in removed)}"] if removed else []
        notes += _summary("removed, quoting what its source does not say", misquoted)
        notes += _summary("unsupported", [s for s in unsupported if s not in misquoted])
        if not used and offline.found:  # the plans answer it, and the model cited none of them (a base model echoing its prompt)
            note = ("The language model's answer cited no passage; this is the offline answer." if language == "en"
                    else "言語モデルの回答がどの箇所も引用していなかったため、オフラインの回答を示します。")
            offline.notes.extend([note, *notes])
            yield {"type": "delta", "text": f"\n\n{note}\n\n{offline.text}"}
            return offline
        model = getattr(self.chat, "model_name", None) or type(self.chat).__name__
        return Answer(request.question, query.text, language, bool(used), text,
                      [c for c in candidates if c.marker in used],
                      related=[] if used else offline.citations or offline.related, answerer=f"llm:{model}",
                      notes=notes, removed_markers=removed, unsupported=unsupported)


def _whole(answer: Answer, documents: dict[str, DocumentText]) -> Iterator[dict[str, Any]]:
    """An answer written without a model: its text in one piece, then the answer, its quotes checked."""
    yield {"type": "delta", "text": answer.text}
    verify(answer.citations + answer.related, documents)
    yield {"type": "answer", "answer": answer}


def _scoped(answer: Answer, missing: list[str]) -> Answer:
    """The answer, begun by saying that the plans of the `missing` universities it names are not loaded
    (another university's plan is not the one asked about)."""
    if not missing:
        return answer
    said = not_loaded(missing, answer.language)
    return replace(answer, text=f"{said}\n\n{answer.text}", notes=[*answer.notes, said])


NOTES_LISTED = 3  # of many flagged sentences, the notes name the first few and count the rest


def _summary(kind: str, items: list[str]) -> list[str]:
    """Notes on flagged sentences: a looping model's hundreds of lines read as a few and a count."""
    notes = [f"{kind}: {_shorten(item)}" for item in items[:NOTES_LISTED]]
    if len(items) > NOTES_LISTED:
        notes.append(f"{kind}: {len(items) - NOTES_LISTED} more")
    return notes


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reason(exc: Exception) -> str:
    """Why the model gave no answer, as a user may read it: the exception's type, and the
    deadline's own words."""
    return f"{type(exc).__name__}: {exc}" if isinstance(exc, TimeoutError) and str(exc) else type(exc).__name__


def _candidates(hits: list[Hit]) -> list[Citation]:
    """The passages offered to the model, numbered: the best chunks of each section."""
    chunks = [(hit, chunk) for hit in hits for chunk in hit.chunks[:CHUNKS_PER_SECTION]]
    return [cite_chunk(n, hit, chunk) for n, (hit, chunk) in enumerate(chunks, start=1)]


def _pairs(history: tuple[Turn, ...]) -> list[tuple[str, str]]:
    return [(t.role, t.content) for t in history]
