"""The HTTP service: the answering chain, the plans and the index behind a FastAPI app.

`create_app()` builds it; `plan-assistant serve` runs it with uvicorn: one process on the
embedded Chroma store (not safe across processes), or several (`worker_app()`) sharing a
`chroma run` server.
"""

from assistant.api.app import create_app

__all__ = ["create_app"]
