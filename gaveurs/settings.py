"""One settings object, read from the environment (or a `.env` file) with working dev defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, computed_field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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

    # Payloads (inputs, results, memos, heartbeats) are AES-GCM encrypted before they reach Temporal. Keys are
    # `id:base64key` (32 random bytes), as a JSON list or comma-separated: the first encrypts, every one
    # decrypts, so a rotation puts the new key first and keeps the old ones until their histories expire.
    # Unset in dev: a key is generated on first use in `payload_key_file` (mode 0600, never committed).
    payload_encryption_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    payload_key_file: Path = VAR_DIR / "keys" / "payload_aes.key"
    # Browser origins allowed to call the API's codec endpoint (the Temporal Web UI); empty = the dev UI's.
    codec_cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The codec session cookie the Web UI sends (`/codec/login`): lifetime, and whether it needs HTTPS.
    codec_session_ttl_s: int = Field(default=12 * 3600, ge=60, le=30 * 86400)
    codec_cookie_secure: bool = False

    # Prometheus metrics of this process (Temporal SDK's and ours) on http://METRICS_HOST:METRICS_PORT/metrics;
    # 0 = none. One port per process: `make run` gives each its own, containers all use the same.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=0, ge=0, le=65535)
    # `json`: one JSON object per line (task_id, workflow_id, activity …), for log collectors; `text` for people.
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Where export files live: a local (or mounted) directory today; an S3-compatible backend is planned.
    artifact_backend: Literal["local"] = "local"
    artifact_dir: Path = VAR_DIR / "artifacts"
    artifact_retention_days: int = 30
    # Rows fetched per round trip by the CSV exports (server-side cursor batch, or SQLite chunk).
    export_csv_chunk_rows: int = Field(default=1000, ge=100, le=200_000)

    # Ed25519 key that signs traceability certificates: base64 of the 32-byte private key, or a PEM. Unset in
    # dev: a key is generated on first use in `certificate_key_file` (mode 0600, never committed).
    certificate_signing_key: SecretStr | None = None
    certificate_key_file: Path = VAR_DIR / "keys" / "certificate_ed25519.pem"
    # Public keys (hex, 32 bytes) of earlier signing keys whose certificates still verify after a rotation.
    certificate_trusted_public_keys: list[str] = Field(default_factory=list)

    # Key of the pseudonyms that replace consumers' e-mail addresses in CSV exports (HMAC-SHA256). Unset in
    # dev: generated on first use in `export_pseudonym_key_file` (mode 0600).
    export_pseudonym_key: SecretStr | None = None
    export_pseudonym_key_file: Path = VAR_DIR / "keys" / "export_pseudonym.key"

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
    # Temp files and staging directories of the artifact store untouched for this long belong to a task that
    # died mid-write (no export task lives this long): cleanup_old_celery_tasks removes them.
    artifact_abandoned_after_hours: int = Field(default=24, ge=1)

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # When set, every /api and /exports request must carry `Authorization: Bearer <token>`.
    api_token: SecretStr | None = None
    # Signs the /exports links task results hand out (default: derived from API_TOKEN); and their lifetime.
    download_signing_key: SecretStr | None = None
    download_url_ttl_s: int = Field(default=3600, ge=60, le=7 * 86400)
    # Server-sent events: a comment line this often keeps proxies from closing an idle stream, and a stream
    # ends after this long (the client reconnects) so none is held open for ever.
    sse_keepalive_s: float = Field(default=15.0, gt=0)
    sse_max_duration_s: float = Field(default=3600.0, gt=0)

    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: SecretStr = SecretStr("dev-twilio-token")
    twilio_from_number: str = "+33700000000"
    # Empty means Twilio's own endpoint; dev and tests point this at the loopback sink.
    twilio_api_base: str = "http://127.0.0.1:8020"
    twilio_timeout_s: float = 15.0

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "gaveurs-tasks@localhost"
    smtp_starttls: bool = False
    # A private CA (or the dev sink's self-signed certificate) to trust for STARTTLS; empty = system CAs.
    smtp_tls_ca_file: Path | None = None
    smtp_timeout_s: float = 15.0
    # The loopback SMTP sink's HTTP listing: lets a retry ask whether an e-mail whose final SMTP reply was
    # lost got through (and the API show what was received). Empty in production: such an e-mail is sent
    # again with the same Message-ID, which many receiving servers and mail clients fold into one.
    smtp_sink_api: str = "http://127.0.0.1:8026"

    # Sends per second per provider, shared by every worker process (a token bucket in the database), so a
    # burst of alerts cannot get the accounts throttled or blocked. 0 = no limit.
    sms_per_second: float = 5.0
    sms_burst: int = 5
    emails_per_second: float = 10.0
    email_burst: int = 10
    # Key of the hash that turns phone numbers and e-mail addresses into ids safe for workflow ids, search
    # attributes and logs. Set a secret value in production: without it a known number's id can be recomputed.
    notify_id_key: SecretStr = SecretStr("dev-notify-id-key")

    worker_graceful_shutdown_s: float = 30.0
    # SQLAlchemy pool per process: at least a worker's concurrent activities (16 on `notifications`).
    database_pool_size: int = Field(default=20, ge=1, le=500)
    database_max_overflow: int = Field(default=10, ge=0, le=500)

    # Tests and drills only: named pause points inside activities (see gaveurs/faults.py).
    fault_pauses: dict[str, float] = Field(default_factory=dict)

    @field_validator("payload_encryption_keys", mode="before")
    @classmethod
    def _key_entries(cls, value: Any) -> Any:
        from gaveurs.payload_codec import read_key_entries

        return read_key_entries(value) if isinstance(value, str) else value

    @field_validator("codec_cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip().rstrip("/") for part in text.split(",") if part.strip()]
        return value

    @property
    def codec_origins(self) -> list[str]:
        if self.codec_cors_origins:
            return self.codec_cors_origins
        port = self.temporal_ui_port
        return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]

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
