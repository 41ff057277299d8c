"""The HTTP service: the answering chain, the plans and the index behind a FastAPI app.

`create_app()` builds it; `plan-assistant serve` runs it with uvicorn (one worker: the
embedded Chroma store is not safe across processes).
"""

from assistant.api.app import create_app

__all__ = ["create_app"]
