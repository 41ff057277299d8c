"""One router per resource: answers, documents, the OpenAI-compatible chat, health."""
