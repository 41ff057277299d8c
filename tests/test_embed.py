"""Embedding functions: the offline default and an OpenAI-compatible endpoint over real HTTP."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from chromadb.utils.embedding_functions import known_embedding_functions

from index.embed import EmbeddingError, HashingEmbedding, OpenAIEmbedding, embedding_function, fingerprint


def test_hashing_is_deterministic_normalised_and_meaningful():
    ef = HashingEmbedding(256)
    a, b, c = ef(["留学生の受入れを推進する", "留学生の受入れの推進", "短期借入金の限度額"])
    assert np.allclose(a, HashingEmbedding(256)(["留学生の受入れを推進する"])[0])
    assert abs(np.linalg.norm(a) - 1) < 1e-5
    assert float(a @ b) > float(a @ c)


def test_registered_so_chroma_can_rebuild_it_from_config():
    assert known_embedding_functions["plan-assistant-hashing"] is HashingEmbedding
    rebuilt = HashingEmbedding.build_from_config(HashingEmbedding(512).get_config())
    assert rebuilt.dimensions == 512
    assert fingerprint(HashingEmbedding(512)) != fingerprint(HashingEmbedding(1024))


class _Server(BaseHTTPRequestHandler):
    fail = False

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.fail or body["model"] != "test-model":
            self.send_response(500)
            self.end_headers()
            return
        data = [{"index": i, "embedding": [float(len(t)), 1.0, 0.0]} for i, t in enumerate(body["input"])]
        payload = json.dumps({"data": list(reversed(data))}).encode()  # out of order on purpose
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_openai_compatible_endpoint(endpoint):
    configured = embedding_function(endpoint, "test-model", 1024)  # the endpoint's vectors, not 1,024 hashed dimensions
    assert [v.tolist() for v in configured(["a", "bbb"])] == [[1.0, 1.0, 0.0], [3.0, 1.0, 0.0]]
    assert len(embedding_function(None, None, 1024)(["a"])[0]) == 1024  # no endpoint: the offline default
    vectors = OpenAIEmbedding(endpoint, "test-model", batch_size=2)(["a", "bbb", "cc"])
    assert [float(v[0]) for v in vectors] == [1.0, 3.0, 2.0]  # in input order, across batches


def test_endpoint_failure_is_a_clear_error(endpoint):
    with pytest.raises(EmbeddingError, match="embeddings endpoint .* failed"):
        OpenAIEmbedding(endpoint, "other-model")(["x"])
    with pytest.raises(EmbeddingError, match="EMBEDDING_MODEL"):
        embedding_function(endpoint, None, 1024)
