"""A job for tests: its items and faults come from <data_dir>/fake_job.json, and every item it
carries out is appended to <data_dir>/fake_job.log (the 'external write' tests count)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from core.errors import ConfigError, RecordRejectedError, TransientError
from sync_jobs import JobSpec, register
from sync_jobs.base import ItemSpec, Job, RunContext


class FakeJob(Job):
    job_id = "fake_job"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.plan_file = settings.data_path / "fake_job.json"
        self.log_file = settings.data_path / "fake_job.log"
        self.spec = json.loads(self.plan_file.read_text()) if self.plan_file.exists() else {}

    def plan(self, ctx: RunContext):
        for n in range(self.spec.get("items", 3)):
            key = f"k{n:03d}"
            version = self.spec.get("version", "")
            if self.spec.get("per_run"):
                version = (ctx.scheduled_at or ctx.window_end).isoformat()
                key = f"{key}@{version}"
            yield ItemSpec(key, payload={"n": n}, version=version)

    def throttled(self) -> str | None:
        return self.spec.get("throttled")

    def confirm(self, ctx: RunContext, business_key: str, payload: Any) -> bool:
        with open(self.settings.data_path / "fake_job.confirms", "a") as handle:
            handle.write(f"{business_key}\n")
        return business_key in written(self.settings.data_path)

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> None:
        time.sleep(self.spec.get("sleep", 0))
        if business_key in self.spec.get("reject", []):
            raise RecordRejectedError(
                "quantity must be positive",
                system="fake",
                key=business_key,
                hint="fix the quantity",
            )
        if business_key in self.spec.get("transient", []):
            raise TransientError("503 from fake", system="fake")
        if business_key in self.spec.get("refused_by_outage", []):  # a 5xx in a batch reply
            raise RecordRejectedError(
                "the service is unavailable",
                system="fake",
                key=business_key,
                error_class="connection",
            )
        if business_key in self.spec.get("quota", []):
            raise TransientError(
                "REQUEST_LIMIT_EXCEEDED", system="fake", retry_after=3600, error_class="rate_limit"
            )
        if business_key in self.spec.get("config", []):
            raise ConfigError("bad credentials", system="fake", hint="set the password")
        fd = os.open(self.log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(fd, f"{business_key}\n".encode())
        os.close(fd)


def install() -> None:
    register(
        JobSpec("fake_job", "tests.sync_jobs.fake_jobs:FakeJob", "A job for tests", every="1s")
    )


def configure(data_dir: Path, **spec: Any) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "fake_job.json").write_text(json.dumps(spec))


def written(data_dir: Path) -> list[str]:
    path = data_dir / "fake_job.log"
    return path.read_text().split() if path.exists() else []
