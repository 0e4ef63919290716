"""docker-compose.yml without a Docker engine: `docker-compose config` (Debian's package) accepts it with the
values of `.env.example`, every service is health-checked and restarts, secrets come only from the
environment, and every command that runs our code exists in the project."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT = Path(__file__).resolve().parent.parent
COMPOSE = PROJECT / "docker-compose.yml"
OUR_IMAGE = "gaveurs-tasks"
# One-shot jobs: they run to completion (restart on failure), so no health check applies.
JOBS = {"migrate", "temporal-schema", "temporal-namespace", "register-search-attributes", "schedules-sync"}


def docker_compose() -> str:
    found = shutil.which("docker-compose")
    if found:
        return found
    if os.geteuid() != 0:
        pytest.fail(
            "docker-compose is not installed and this user cannot install it: apt-get install docker-compose"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    outputs = []
    for command in (["apt-get", "install", "-y", "-q", "docker-compose"], ["apt-get", "update", "-q"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        outputs.append(f"$ {' '.join(command)} → {done.returncode}\n{done.stderr[-1500:]}")
        if shutil.which("docker-compose"):
            return str(shutil.which("docker-compose"))
    done = subprocess.run(
        ["apt-get", "install", "-y", "-q", "docker-compose"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode == 0 and shutil.which("docker-compose"):
        return str(shutil.which("docker-compose"))
    pytest.fail("could not install Debian's docker-compose:\n" + "\n".join(outputs) + done.stderr[-1500:])


def compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    # Only the env file's values: none of this machine's own variables may leak into the check.
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    return subprocess.run(
        [docker_compose(), "--env-file", str(env_file), "-f", str(COMPOSE), "config"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    done = compose_config(PROJECT / ".env.example")
    assert done.returncode == 0, f"docker-compose config refused the file:\n{done.stderr}"
    config = yaml.safe_load(done.stdout)
    found: dict[str, dict[str, Any]] = config["services"]
    return found


def test_every_service_restarts_and_every_long_running_one_is_health_checked(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        assert service.get("restart") in {"unless-stopped", "always", "on-failure"}, name
        if name in JOBS:
            assert service["restart"] == "on-failure", f"{name} is a one-shot job"
        else:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    # Everything that needs the database or Temporal waits for it to be ready, not merely started.
    for name, service in services.items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            wanted = "service_completed_successfully" if dependency in JOBS else "service_healthy"
            assert condition["condition"] == wanted, f"{name} → {dependency}"


def test_temporal_is_set_up_the_production_way(services: dict[str, dict[str, Any]]) -> None:
    assert not any("auto-setup" in str(s.get("image")) for s in services.values())
    server = services["temporal"]["image"]
    ui = services["temporal-ui"]["image"]
    tools = services["temporal-schema"]["image"]
    assert server.startswith("temporalio/server:") and tools.startswith("temporalio/admin-tools:")
    assert server.split(":")[1] == tools.split(":")[1], "admin tools of the server's version"
    assert ui.startswith("temporalio/ui:")
    schema_job = " ".join(services["temporal-schema"]["command"])
    for step in ("create-database", "setup-schema -v 0.0", "update-schema -d"):
        assert step in schema_job
    for store in ("temporal/versioned", "visibility/versioned"):
        assert "postgresql/v12" in schema_job and store.split("/")[0] in schema_job
    assert (
        services["temporal"]["depends_on"]["temporal-schema"]["condition"] == "service_completed_successfully"
    )
    assert services["temporal-ui"]["environment"]["TEMPORAL_CODEC_ENDPOINT"].endswith("/codec")
    assert "minio" in services and "prometheus" in services


def test_secrets_only_come_from_the_environment() -> None:
    raw = COMPOSE.read_text()
    secretish = re.compile(r"^\s*([A-Z_]*(PASSWORD|PWD|TOKEN|SECRET|KEY|KEYS))\s*:\s*(.*)$", re.M)
    for name, _, value in secretish.findall(raw):
        assert value.strip().strip("\"'") == "" or value.strip().startswith("${"), f"{name}: {value}"
    assert "postgresql+psycopg://gaveurs:${POSTGRES_PASSWORD" in raw
    # Without the values, compose refuses to start rather than run with empty secrets.
    empty = PROJECT / "var" / "empty.env"
    empty.parent.mkdir(exist_ok=True)
    empty.write_text("")
    refused = compose_config(empty)
    assert refused.returncode != 0 and "set " in refused.stderr and "in .env" in refused.stderr
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=PROJECT)
    assert ignored.returncode == 0, ".env must be ignored by git"


def _our_commands(services: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    return {
        name: service.get("command") or ["python", "-m", "api"]
        for name, service in services.items()
        if str(service.get("image", "")).startswith(OUR_IMAGE)
    }


def test_every_command_of_our_image_exists_in_the_project(services: dict[str, dict[str, Any]]) -> None:
    commands = _our_commands(services)
    assert {"api", "migrate", "register-search-attributes", "worker-ml-heavy", "worker-default"} <= set(
        commands
    )
    for name, command in commands.items():
        _assert_runs(name, command)


def _assert_runs(name: str, command: list[str]) -> None:
    """`python -m <module> <args> --help` parses: the module imports and the subcommand and its choices exist."""
    assert command[:2] == ["python", "-m"], f"{name}: run our code as `python -m …`, got {command}"
    checked = [sys.executable, "-m", *command[2:], "--help"]
    done = subprocess.run(checked, cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{name}: {shlex.join(command)} does not exist here:\n{done.stderr[-2000:]}"
