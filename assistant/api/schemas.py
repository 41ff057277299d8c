"""Request and response bodies of the API.

Kept apart from the internal dataclasses (Answer, Citation, Document) so that the wire
format is stated once, documented in OpenAPI, and does not change when the internals do.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

MAX_HISTORY_TURNS = 100
MAX_TURN_CHARS = 50_000  # an assistant turn quotes the plans; user turns obey max_question_chars
MAX_DOCUMENTS = 50


def _encodable(text: str) -> str:
    """Reject lone surrogates ("\\ud800" in JSON): no analyzer or response encoder can take them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the text is not valid Unicode (lone surrogate)") from None
    return text


Text = Annotated[str, AfterValidator(_encodable)]
DocumentId = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_encodable)]


class Turn(BaseModel):
    """One earlier message of the conversation (the API is stateless: the caller keeps them)."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: Annotated[Text, Field(max_length=MAX_TURN_CHARS)]


class AskRequest(BaseModel):
    """A question, with the conversation so far and optional choices."""

    model_config = ConfigDict(
        extra="forbid",  # a misspelt option ("topk") is an error, not silently ignored
        json_schema_extra={"examples": [{"question": "短期借入金の限度額は？"},
                                        {"question": "What support is there for international students?",
                                         "language": "en", "documents": ["tohoku-intl-strategy"], "top_k": 5}]},
    )

    question: Text = Field(description="The question, Japanese or English (at most max_question_chars).")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS,
                                description="Earlier turns, oldest first; a follow-up is resolved against them.")
    language: Literal["auto", "ja", "en"] = Field("auto", description="Answer language; auto follows the question.")
    documents: list[DocumentId] | None = Field(None, max_length=MAX_DOCUMENTS,
                                               description="Only these plans (ids from GET /v1/documents).")
    top_k: int | None = Field(None, ge=1, le=50, description="Sections retrieved (default: the configured top_k).")


class CitationOut(BaseModel):
    """A numbered plan passage, verbatim, with where it stands in the plan."""

    marker: str = Field(examples=["[1]"])
    document_id: str
    document_title: str
    section_id: str
    label: str = Field(description="The plan's own section number, e.g. Ⅰ-1-(4)-2).")
    path: list[str] = Field(description="Section titles from the top level down.")
    heading: str = Field("", description="Label and title, each once (what to show): Ⅶ-1 短期借入金の限度額.")
    context: list[str] = Field(default_factory=list, description="The titles above the section that its heading "
                                                                 "does not already say.")
    text: str = Field(description="The passage, character for character as in the plan.")
    line_start: int
    line_end: int
    score: float = Field(description="The cited section's retrieval score: its keyword and vector search score relative "
                                     "to the best section's, plus a part for the share of the question it holds and for "
                                     "being in the plan the question names. Higher is better; compare within one answer only.")
    verified: bool = Field(description="The passage is exactly the plan text at its offsets, inside the cited section.")
    rows: list[str] = Field(default_factory=list, description="A table's rows as rebuilt.")


class AskResponse(BaseModel):
    """The answer, with [n] markers naming its citations."""

    answer: str
    language: str = Field(description='"ja" or "en": the language the answer is written in.')
    found: bool = Field(description="False: the plans do not answer it; `related` lists the nearest sections.")
    citations: list[CitationOut]
    related: list[CitationOut] = Field(default_factory=list)
    standalone: str = Field(description="The question as searched (a follow-up resolved against the history).")
    answerer: str = Field(description='"offline" or "llm:<model>".')
    notes: list[str] = Field(default_factory=list)
    timing_ms: dict[str, float]


class DocumentOut(BaseModel):
    id: str
    title: str
    title_en: str
    source: str = Field(description="File name in the plans folder.")
    format: str
    language: str
    institution: str = ""
    period: str = ""
    names: list[str] = Field([], description="What a question may call its institution (from the catalog and its header).")
    sections: int
    chunks: int
    indexed: bool = Field(description="The served index holds this document.")


class DocumentList(BaseModel):
    documents: list[DocumentOut]
    count: int


class DocumentRef(BaseModel):
    id: str
    title: str
    title_en: str


class OutlineNode(BaseModel):
    id: str
    label: str
    title: str
    heading: str
    children: list[OutlineNode] = Field(default_factory=list)


class Outline(BaseModel):
    document: DocumentRef
    sections: list[OutlineNode]


class SectionOut(BaseModel):
    id: str
    label: str
    title: str
    heading: str
    path: list[str]
    level: int
    parent_id: str | None
    children: list[str]
    text: str = Field(description="The section with its subsections, as in the plan.")
    line_start: int
    line_end: int
    tables: list[list[str]] = Field(default_factory=list, description="Rebuilt rows of the section's own tables.")
    document: DocumentRef


class IndexInfo(BaseModel):
    key: str
    seconds: float = Field(description="How long the rebuild took.")
    documents: int


class UploadOut(BaseModel):
    document: DocumentOut
    index: IndexInfo


class DeleteOut(BaseModel):
    deleted: str
    index: IndexInfo


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    index: str | None = None
    documents: int = 0
    reason: str | None = None


# --- OpenAI-compatible chat completions ----------------------------------------------

class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls … are accepted and ignored

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Annotated[Text, Field(max_length=MAX_TURN_CHARS)] | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, n, user …: the answer is deterministic

    model: Annotated[Text, Field(max_length=200)] = "plan-assistant"
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_HISTORY_TURNS + 1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
