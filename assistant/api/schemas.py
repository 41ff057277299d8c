"""Request and response bodies of the API.

Kept apart from the internal dataclasses (Answer, Citation, Document) so that the wire
format is stated once, documented in OpenAPI, and does not change when the internals do.
What a request may hold is stated in the schema too, so that a request the schema calls
valid is accepted (rules that depend on the data, such as a document id that must exist,
are the exception); `state_limits` adds the limits that come from the settings.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

MAX_HISTORY_TURNS = 100
MAX_TURN_CHARS = 50_000  # an assistant turn quotes the plans; user turns obey max_question_chars
MAX_DOCUMENTS = 50
# Not blank: some character that is not white space as Python's str.strip() sees it (JSON
# Schema's own \s differs from it, so the class is spelt out).
NOT_BLANK = "[^\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_SURROGATE = re.compile("[\ud800-\udfff]")
_SHOWN_KEY = 40  # characters of a field name an error repeats
_LONE_SURROGATE = "{where} holds a lone UTF-16 surrogate (U+{code}): send Unicode text"


def _surrogate_free(data: Any) -> Any:
    """Refuse a body holding a lone UTF-16 surrogate ("\\ud800" in JSON) in any string or field
    name, ignored fields included: it is not Unicode text, and no analyzer or encoder takes it."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and (found := _SURROGATE.search(value)):
            raise PydanticCustomError("lone_surrogate", _LONE_SURROGATE,
                                      {"where": where or "the body", "code": f"{ord(found[0]):04X}"})
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and _SURROGATE.search(key):
                    stack.append((f"a field name in {where or 'the body'}", key))
                else:
                    stack.append((f"{where}.{str(key)[:_SHOWN_KEY]}".lstrip("."), item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{n}".lstrip("."), item) for n, item in enumerate(value))
    return data


class RequestBody(BaseModel):
    """A JSON request body: its text is Unicode (a lone surrogate is a 422 naming where it is)."""

    @model_validator(mode="before")
    @classmethod
    def unicode_only(cls, data: Any) -> Any:
        return _surrogate_free(data)


def _not_true_or_text(value: Any) -> Any:
    """An integer field takes a JSON number (3, or 3.0 as JSON Schema counts it), never `true`
    (Python's 1) or the string "3"."""
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "Input should be an integer, not {kind}",
                                  {"kind": "a boolean" if isinstance(value, bool) else "a string"})
    return value


DocumentId = Annotated[str, Field(min_length=1, max_length=200)]
TopK = Annotated[int, Field(ge=1, le=50), BeforeValidator(_not_true_or_text)]


class Turn(BaseModel):
    """One earlier message of the conversation (the API is stateless: the caller keeps them)."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS, description="A user's turn is a question: at most "
                                                                "max_question_chars (the schema says how many).")


class AskRequest(RequestBody):
    """A question, with the conversation so far and optional choices."""

    model_config = ConfigDict(
        extra="forbid",  # a misspelt option ("topk") is an error, not silently ignored
        json_schema_extra={"examples": [{"question": "短期借入金の限度額は？"},
                                        {"question": "What support is there for international students?",
                                         "language": "en", "documents": ["tohoku-intl-strategy"], "top_k": 5}]},
    )

    question: str = Field(description="The question, Japanese or English: not blank, at most max_question_chars.",
                          json_schema_extra={"minLength": 1, "pattern": NOT_BLANK})
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS,
                                description="Earlier turns, oldest first; a follow-up is resolved against them.")
    language: Literal["auto", "ja", "en"] = Field("auto", description="Answer language; auto follows the question.")
    documents: list[DocumentId] | None = Field(None, max_length=MAX_DOCUMENTS,
                                               description="Only these plans (ids from GET /v1/documents).")
    top_k: TopK | None = Field(None, description="Sections retrieved (default: the configured top_k).")


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


class ErrorInfo(BaseModel):
    """The error as OpenAI's clients read it."""

    message: str
    type: str = Field(examples=["invalid_request_error"])
    code: int | str = Field(description="The HTTP status, or OpenAI's code (`model_not_found`).")
    param: str | None = Field(None, description="The field an OpenAI error is about (`model`).")


class FieldError(BaseModel):
    """One thing wrong with a request, where it is (`["body", "top_k"]`), without the input."""

    loc: list[str]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every 4xx and 5xx: `detail` as FastAPI clients read it, `error` as OpenAI clients do."""

    detail: str
    error: ErrorInfo
    errors: list[FieldError] = Field(default_factory=list, description="A 400 or 422 from validation: each problem.")


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

    type: str = Field(description='Only "text" parts are read.')
    text: str | None = None


class ChatMessage(BaseModel):
    """One message. No tools are offered, so there are no `tool` (or `function`) messages: the
    roles are the ones a conversation about the plans has; system and developer messages are
    read and ignored (the assistant's behaviour is fixed)."""

    model_config = ConfigDict(extra="allow")  # name … are accepted and ignored

    role: Literal["system", "developer", "user", "assistant"]
    content: Annotated[str, Field(max_length=MAX_TURN_CHARS)] | list[ContentPart] | None = Field(
        None, description="A user's message is a question: at most max_question_chars (the schema says how many).")

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatCompletionRequest(RequestBody):
    """OpenAI's request. The last message is the question (a user's, not blank); the earlier
    user and assistant messages are its history."""

    model_config = ConfigDict(
        extra="allow",  # temperature, n, user …: the answer is deterministic
        json_schema_extra={"examples": [
            {"model": "plan-assistant", "messages": [{"role": "user", "content": "短期借入金の限度額は？"}]},
            {"model": "plan-assistant", "stream": True, "stream_options": {"include_usage": True},
             "messages": [{"role": "user", "content": "What is the short-term borrowing limit?"},
                          {"role": "assistant", "content": "…"}, {"role": "user", "content": "And in yen?"}]}]},
    )

    model: str = Field("plan-assistant", max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_HISTORY_TURNS + 1)
    stream: StrictBool = False
    stream_options: dict[str, Any] | None = None


def state_limits(openapi: dict[str, Any], max_question_chars: int) -> dict[str, Any]:
    """The published schema with the question limit this service is configured with: on the
    question and on every user turn or message (an assistant's may quote more)."""
    schemas = openapi["components"]["schemas"]
    schemas["AskRequest"]["properties"]["question"]["maxLength"] = max_question_chars
    for name in ("Turn", "ChatMessage"):
        schemas[name]["if"] = {"properties": {"role": {"const": "user"}}, "required": ["role"]}
        schemas[name]["then"] = {"properties": {"content": {"maxLength": max_question_chars}}}
    return openapi
