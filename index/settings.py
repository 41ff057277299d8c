"""Configuration from `PLAN_ASSISTANT_*` environment variables (and `.env`)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything configurable; the defaults run the product offline on the bundled plans."""

    model_config = SettingsConfigDict(env_prefix="PLAN_ASSISTANT_", env_file=".env", extra="ignore")

    plans_dir: Path = Field(PROJECT_ROOT / "plans", description="Folder of plan files and catalog.toml.")
    chunk_max_tokens: int = Field(400, ge=50, description="Largest chunk, in o200k_base tokens.")

