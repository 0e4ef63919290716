"""One settings object, read from the environment (or a `.env` file) with working dev defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, computed_field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'gaveurs.db'}",
        description="SQLAlchemy URL; sqlite:///… (embedded default) or postgresql+psycopg://…",
    )
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_ui_port: int = 8233
    temporal_db_file: Path = VAR_DIR / "temporal" / "dev.db"

    artifact_dir: Path = VAR_DIR / "artifacts"
    artifact_retention_days: int = 30

    # Scheduled maintenance. Backups go beside the dev database by default; production points this at a
    # volume that outlives the database host.
    backup_dir: Path = VAR_DIR / "backups"
    backup_keep_daily: int = Field(default=7, ge=1, description="days of backups kept by the rotation")
    pg_dump_bin: str = "pg_dump"
    pg_restore_bin: str = "pg_restore"
    # Raw SQAL samples older than this are deleted once their hour is aggregated (aggregates are kept).
    sqal_raw_retention_days: int = Field(default=365, ge=1)
    sqal_cleanup_batch_size: int = Field(default=5000, ge=1)
    ml_results_retention_days: int = Field(default=365, ge=1)
    # The SMS/e-mail ledger stops a retried activity from sending twice: keep it far longer than any
    # workflow can live, or a very late retry could send again.
    outbound_messages_retention_days: int = Field(default=90, ge=7)
    health_results_retention_days: int = Field(default=30, ge=1)

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # When set, every /api and /exports request must carry `Authorization: Bearer <token>`.
    api_token: SecretStr | None = None

    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: SecretStr = SecretStr("dev-twilio-token")
    twilio_from_number: str = "+33700000000"
    # Empty means Twilio's own endpoint; dev and tests point this at the loopback sink.
    twilio_api_base: str = "http://127.0.0.1:8020"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "gaveurs-tasks@localhost"
    smtp_starttls: bool = False

    worker_graceful_shutdown_s: float = 30.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def temporal_ui_url(self) -> str:
        host = self.temporal_address.rsplit(":", 1)[0]
        return f"http://{host}:{self.temporal_ui_port}"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def api_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
