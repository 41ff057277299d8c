"""The answering model: an OpenAI-compatible chat endpoint, reached through LangChain.

The model sees the retrieved plan passages only as fenced data (`<source id="n">`), so a
passage cannot pose as an instruction, and its answer is checked afterwards: markers that
name no passage are removed, and sentences that cite nothing, or quote words the cited
passages do not contain, are reported. Errors from the endpoint propagate unchanged so the
caller can fall back to the offline answer.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from assistant.citation import Citation
from index.settings import Settings
from index.tokens import count_tokens

History = Iterable[tuple[str, str]]

HISTORY_MESSAGES = 6  # earlier turns shown to the model: the last three exchanges
HISTORY_CHARS = 600  # each earlier turn cut to this, so history cannot crowd out the sources
NOT_FOUND = ("計画には記載がありません", "The plans do not say")  # said without a marker, by design
MIN_SENTENCE_CHARS = 5  # shorter fragments ("Yes.", "1.") carry no claim worth checking

_FENCE_TAG = re.compile(r"[<＜](?=\s*/?\s*source)", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_MARKER_WITH_SPACE = re.compile(r"[ \t]*\[(\d{1,3})\]")
_SENTENCE = re.compile(
    r"""(?:「[^」\n]*」?          # a quotation stays whole, even with 。 inside
        | \.(?![ \t]|$)         # a dot inside a number or a name
        | [^。！？!?.「\n]       # anything else
       )+
       (?:[。！？!?]+|\.+)?      # the full stop
       (?:[ \t]*\[\d{1,3}\])*   # markers placed after the full stop
    """,
    re.VERBOSE | re.MULTILINE,
)
_LEADER = re.compile(r"^\s*(?:[-*+・•●◆■]|\d{1,3}[.)]|[(（]\d{1,3}[)）]|[①-⑳])\s*")
_HEADING = re.compile(r"^\s*(?:#{1,6}\s|\*\*[^*]+\*\*\s*$|.*[:：]\s*$)")
_QUOTE = re.compile(r"「([^」\n]+)」")
_ELLIPSIS = re.compile(r"…+|\.{3,}|‥+")
_SPACE = re.compile(r"\s+")


def chat_model(settings: Settings) -> BaseChatModel | None:
    """The chat endpoint, or None to answer offline. No retries: a slow or failing endpoint
    should hand over to the offline answer at once rather than keep the user waiting. The
    timeout bounds each read; the answer as a whole is bounded by the chain (`llm_timeout` too)
    and its length by `llm_max_tokens`, since a model that loops keeps the stream alive."""
    if not settings.llm_base_url:
        return None
    from langchain_openai import ChatOpenAI  # imported here: the offline path never needs it

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model or "default",
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout,
        max_retries=0,
        temperature=0,
        max_tokens=settings.llm_max_tokens,  # sent as max_completion_tokens; local servers read max_tokens
        extra_body={"max_tokens": settings.llm_max_tokens},
    )


def load_prompt(settings: Settings, name: str) -> str:
    """A prompt file's text; prompts are files so they can be changed without touching code."""
    path = settings.prompts_dir / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"prompt file {path} is missing") from None


def fill(template: str, **values: str) -> str:
    """Fill {name} placeholders in one pass: passages contain braces (so not str.format), and a
    question that happens to contain "{sources}" must not receive the sources."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _data(text: str) -> str:
    """Text safe inside a fence: nothing in it can open or close a <source> tag."""
    return _FENCE_TAG.sub("&lt;", text)


def _source(citation: Citation) -> str:
    attrs = {
        "id": str(citation.marker),
        "document": citation.document_title or citation.document_id,
        "section": citation.label,
        "path": " > ".join(citation.path),
    }
    head = " ".join(f'{key}="{html.escape(value, quote=True)}"' for key, value in attrs.items())
    body = _data(citation.passage.strip("\n"))
    if citation.rows:
        body += "\n(table rows)\n" + "\n".join(_data(row) for row in citation.rows)
    return f"<source {head}>\n{body}\n</source>"


def _truncated(citation: Citation, budget_tokens: int) -> Citation:
    """The longest prefix of the passage whose source fits the budget (table rows dropped if
    even an empty passage with them does not fit); a prefix is still a verbatim slice."""
    if count_tokens(_source(replace(citation, passage=""))) > budget_tokens:
        citation = replace(citation, rows=())
    low, high = 0, len(citation.passage)
    while low < high:
        mid = (low + high + 1) // 2
        if count_tokens(_source(replace(citation, passage=citation.passage[:mid]))) <= budget_tokens:
            low = mid
        else:
            high = mid - 1
    passage = citation.passage[:low]
    return replace(
        citation,
        passage=passage,
        end=citation.start + low,
        line_end=citation.line_start + passage.rstrip("\n").count("\n"),
    )


def fence(citations: list[Citation], budget_tokens: int) -> tuple[str, list[Citation]]:
    """The passages as fenced data, best first, as many as fit in `budget_tokens` (o200k).

    Sources are added in order until the next would overflow, so the numbering the model
    sees stays the ranking; the first is always included, cut to fit if it alone is over.
    Returns the text and the citations the model actually saw.
    """
    blocks: list[str] = []
    included: list[Citation] = []
    used = 0
    for citation in citations:
        block = _source(citation)
        cost = count_tokens(block) + (count_tokens("\n\n") if blocks else 0)
        if used + cost > budget_tokens:
            if not blocks:
                citation = _truncated(citation, budget_tokens)
                blocks.append(_source(citation))
                included.append(citation)
            break
        blocks.append(block)
        included.append(citation)
        used += cost
    return "\n\n".join(blocks), included


def _earlier(history: History) -> list[tuple[str, str]]:
    """The last turns, shortened, their [n] markers removed: those numbered an earlier
    turn's sources and would be mistaken for this turn's."""
    turns = [(role, _SPACE.sub(" ", _MARKER_WITH_SPACE.sub("", content)).strip()) for role, content in history]
    return [
        (role, content if len(content) <= HISTORY_CHARS else content[:HISTORY_CHARS] + "…")
        for role, content in turns[-HISTORY_MESSAGES:]
        if content
    ]


def messages(
    settings: Settings,
    question: str,
    language: str,
    citations: list[Citation],
    history: History = (),
) -> list[BaseMessage]:
    """System prompt in the answer's language, the earlier turns briefly, then the question
    with the fenced sources (within `llm_context_tokens`). With `llm_system_in_user` the system
    prompt heads the question's message instead (a template that drops system messages loses it)."""
    sources, _ = fence(citations, settings.llm_context_tokens)
    system = load_prompt(settings, f"system_{language}")
    result: list[BaseMessage] = [] if settings.llm_system_in_user else [SystemMessage(system)]
    for role, content in _earlier(history):
        result.append(AIMessage(content) if role == "assistant" else HumanMessage(content))
    asked = fill(load_prompt(settings, "answer"), question=question, sources=sources)
    result.append(HumanMessage(f"{system}\n\n{asked}" if settings.llm_system_in_user else asked))
    return result


def answer_stream(
    chat: BaseChatModel,
    settings: Settings,
    question: str,
    language: str,
    citations: list[Citation],
    history: History = (),
) -> Iterator[str]:
    """The answer's text as the model writes it. Connection, timeout and HTTP errors are not
    caught: the caller falls back to the offline answer. Check the joined text against
    `fence(citations, settings.llm_context_tokens)[1]`, the passages the model saw."""
    for chunk in chat.stream(messages(settings, question, language, citations, history)):
        if chunk.text:
            yield chunk.text


def _compact(text: str) -> str:
    return _SPACE.sub("", text)


def _quoted_verbatim(quote: str, cited: list[Citation]) -> bool:
    """A 「quote」 is the plan's words when each part of it (split at an ellipsis, which marks
    an omission) is in one cited passage or section title, white space aside."""
    parts = [_compact(part) for part in _ELLIPSIS.split(quote)]
    for citation in cited:
        source = _compact(citation.passage + "\n" + "\n".join(citation.path))
        if all(part in source for part in parts if part):
            return True
    return False


def _claims(text: str) -> Iterator[str]:
    """The sentences of an answer that make a claim: headings, bullet leaders, lead-ins
    ending in a colon and very short fragments are passed over."""
    for match in _SENTENCE.finditer(text):
        sentence = match.group().strip()
        if not sentence or _HEADING.match(sentence):
            continue
        content = _compact(_MARKER_WITH_SPACE.sub("", _LEADER.sub("", sentence)))
        if len(re.sub(r"[\W_]", "", content)) >= MIN_SENTENCE_CHARS:
            yield sentence


def check_markers(text: str, citations: list[Citation]) -> tuple[str, list[int], list[str]]:
    """Hold an answer to its sources: returns the text with markers that name no given
    citation removed, the removed marker numbers, and the unsupported sentences (no valid
    marker, or a 「quote」 that is not verbatim in the passages the sentence cites)."""
    by_marker = {c.marker: c for c in citations}
    removed: list[int] = []

    def drop_unknown(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number in by_marker:
            return match.group()
        if number not in removed:
            removed.append(number)
        return ""

    cleaned = _MARKER_WITH_SPACE.sub(drop_unknown, text)
    unsupported = []
    for sentence in _claims(cleaned):
        if any(phrase in sentence for phrase in NOT_FOUND):
            continue
        cited = [by_marker[int(n)] for n in dict.fromkeys(_MARKER_WITH_SPACE.findall(sentence))]
        if not cited or not all(_quoted_verbatim(q, cited) for q in _QUOTE.findall(sentence)):
            unsupported.append(sentence)
    return cleaned, removed, unsupported


def misquotes(sentence: str, citations: list[Citation]) -> bool:
    """Whether a sentence cites a passage and quotes, as the plan's words, what that passage
    does not hold: shown, it would pass the model's words off as the plan's."""
    by_marker = {c.marker: c for c in citations}
    cited = [by_marker[int(n)] for n in dict.fromkeys(_MARKER_WITH_SPACE.findall(sentence)) if int(n) in by_marker]
    return bool(cited) and not all(_quoted_verbatim(q, cited) for q in _QUOTE.findall(sentence))


def condense(chat: BaseChatModel, settings: Settings, history: History, question: str) -> str:
    """A follow-up rewritten as a standalone question, so that it can be searched on its own.
    Without earlier turns there is nothing to resolve and the model is not asked."""
    turns = _earlier(history)
    if not turns:
        return question
    transcript = "\n".join(f"{role}: {content}" for role, content in turns)
    prompt = fill(load_prompt(settings, "condense"), history=transcript, question=question)
    rewritten = chat.invoke([HumanMessage(prompt)]).text.strip()
    return rewritten or question
