"""send_digest: each role's daily digest (reports/digest.py) through the mail channel, once a
day per role, at the job's first run after the role's `digest.<role>.at` (UTC).

One work item per (role, day), keyed `digest:<role>:<day>`: the runner records a key once and
carries it out once, so restarts and a second scheduler send nothing twice. An item left
pending (the SMTP server was away) goes out on a later run; one left from an earlier day is
dropped, as that day's figures are stale and today's digest follows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from config import Settings
from core import mail
from core.errors import ConfigError
from core.store import session_scope
from reports.base import Options
from reports.digest import ROLES, digest_for
from reports.digest_render import as_html, as_text
from sync_jobs.base import ItemSpec, Job, RunContext

CHANNEL = "digest"


@dataclass(frozen=True)
class Recipients:
    at: time
    to: tuple[str, ...]


def run_clock(ctx: RunContext) -> datetime:
    """Now, for this run: the run context's clock (tests hand the runner one they move)."""
    return ctx.clock.now()


def recipients(settings: Settings) -> dict[str, Recipients]:
    """digest.<role>.at and .to for every role that has a digest block."""
    found = {}
    for role, block in (settings.get_path("digest") or {}).items():
        if role not in ROLES:
            raise ConfigError(
                "no digest for this role", key=f"digest.{role}", hint="one of " + ", ".join(ROLES)
            )
        at = time.fromisoformat(block.get("at") or "07:00")
        to = tuple(a.strip() for a in (block.get("to") or "").split(",") if a.strip())
        found[role] = Recipients(at, to)
    return found


class SendDigest(Job):
    job_id = "send_digest"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.url = settings.database_url
        self.roles = recipients(settings)
        self.over_smtp = bool(settings.get_path("mail.smtp_host"))

    def plan(self, ctx: RunContext) -> Iterable[ItemSpec]:
        now = run_clock(ctx)
        for role, wanted in self.roles.items():
            if now.time() < wanted.at:
                continue
            if self.over_smtp and not wanted.to:
                ctx.notes.append(f"{role}: no digest.{role}.to, no digest sent")
                continue
            day = now.date().isoformat()
            yield ItemSpec(f"{CHANNEL}:{role}:{day}", {"role": role, "day": day})

    def perform(self, ctx: RunContext, business_key: str, payload: Any) -> str | None:
        now, role, day = run_clock(ctx), payload["role"], date.fromisoformat(payload["day"])
        if day < now.date():
            return f"{role} digest of {day} dropped: today's follows"
        with session_scope(self.url) as session:
            options = Options.from_settings(self.settings, now.date())
            digest = digest_for(session, role, now, day, options)
        message = mail.compose(
            sender=self.settings.mail["from"],
            to=self.roles[role].to,
            subject=digest.subject,
            text=as_text(digest),
            html=as_html(digest),
            key=business_key,
            when=now,
        )
        delivery = mail.send(self.settings, message, CHANNEL, role, business_key)
        refused = "; ".join(f"{a} refused: {r}" for a, r in delivery.refused.items())
        if refused:
            ctx.notes.append(f"{role} digest: {refused}")
        return f"{role} digest to {delivery.where}" + (f" ({refused})" if refused else "")

    def confirm(self, ctx: RunContext, business_key: str, payload: Any) -> bool:
        return mail.already_sent(self.settings, CHANNEL, payload["role"], business_key)
