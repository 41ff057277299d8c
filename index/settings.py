"""Configuration from `PLAN_ASSISTANT_*` environment variables (and `.env`)."""

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.load import LIMITS

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything configurable; the defaults run the product offline on the bundled plans."""

    model_config = SettingsConfigDict(env_prefix="PLAN_ASSISTANT_", env_file=".env", extra="ignore")

    plans_dir: Path = Field(PROJECT_ROOT / "plans", description="Folder of plan files and catalog.toml.")
    chunk_max_tokens: int = Field(400, ge=50, description="Largest chunk, in o200k_base tokens.")
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Where index builds are written.")
    chroma_host: str | None = Field(None, description="A `chroma run` server to use instead of the embedded store.")
    chroma_port: int = Field(8000, description="Port of the `chroma run` server.")
    embedding_base_url: str | None = Field(None, description="OpenAI-compatible endpoint for embeddings.")
    embedding_model: str | None = Field(None, description="Model name at the embeddings endpoint.")
    embedding_dimensions: int = Field(1024, ge=64, le=8192, description="Size of the offline hashed vectors.")
    top_k: int = Field(5, ge=1, le=50, description="Sections returned by a search.")
    max_question_chars: int = Field(2000, ge=10, description="Longest question accepted.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible chat endpoint; unset answers offline.")
    llm_model: str | None = Field(None, description="Model name at the chat endpoint.")
    llm_api_key: str = Field("not-needed", description="Key for the chat endpoint (local servers ignore it).")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds an answer from the chat endpoint may take, all of it, before the offline answer is given instead.")
    llm_max_tokens: int = Field(800, ge=16, le=32768, description="Most tokens the model may write for one answer.")
    llm_context_tokens: int = Field(3000, ge=200, description="Most o200k tokens of plan text put before the model.")
    llm_system_in_user: bool = Field(False, description="Put the system prompt at the head of the question's message, for servers "
                                     "whose chat template drops system messages (llama-cpp-python's gemma format).")
    prompts_dir: Path = Field(PROJECT_ROOT / "prompts", description="Folder of the prompt files.")

    # --- the HTTP service (assistant/api) ---
    host: str = Field("127.0.0.1", description="Address the service listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the service listens on.")
    api_url: str | None = Field(None, description="The service's own base URL, for the UI it serves (default http://host:port).")
    admin_key: SecretStr | None = Field(
        None, description="X-API-Key for uploading and deleting plans; unset disables both. Never shown in reprs or logs.")
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1, description="Largest plan file accepted by upload.")
    max_upload_pages: int = Field(LIMITS.max_pages, ge=1, description="Most pages of an uploaded PDF.")
    max_upload_unpacked_bytes: int = Field(
        LIMITS.max_unpacked_bytes, ge=1, description="Most bytes an uploaded DOCX or PDF may unpack to (zip bombs are refused).")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        [], description="Browser origins allowed to call the API from other sites, comma-separated; none by default.")
    log_questions: bool = Field(False, description="Write users' questions to the service log (off: only their length).")
    ui: bool = Field(True, description="Serve the chat UI at /ui beside the API.")
    workers: int = Field(1, ge=1, le=64, description="Service processes; more than one needs a `chroma run` server (chroma_host).")

    lexicons: Annotated[list[str], NoDecode] = Field(
        ["curated"], description="Layers bridging questions to the plans' words, comma-separated: curated, dictionary (index.lexicon).")

    @field_validator("cors_origins", "lexicons", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """`https://a.example, https://b.example` as the variable is written, not JSON."""
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    def model_post_init(self, context: object, /) -> None:
        """Default the service URL from host and port; a wildcard address is reached on loopback."""
        if self.api_url is None:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
            host = f"[{host}]" if ":" in host else host
            self.api_url = f"http://{host}:{self.port}"
