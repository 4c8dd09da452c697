"""The per-account concurrency cap, held across every process and machine sharing the store.

NetSuite refuses requests past the account's concurrency limit (WS_CONCUR_SESSION_DISALLWD,
WS_REQUEST_BLOCKED); we stay under it by holding one of N slots for each call. On PostgreSQL a
slot is a session advisory lock (key: the account, slot number), freed by the server if the
process dies; on SQLite, whose store lives on one machine, a slot is an flock'ed file in the
data folder, freed by the kernel the same way. No table is needed.
"""

from __future__ import annotations

import fcntl
import os
import random
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import TransientError

SYSTEM = "netsuite"


class AccountSlots:
    def __init__(
        self,
        account: str,
        limit: int,
        *,
        lock_dir: Path,
        database_url: str | None = None,
        wait_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account = account
        self.limit = max(1, int(limit))
        self.lock_dir = Path(lock_dir)
        self.database_url = database_url or ""
        self.wait_seconds = wait_seconds
        self.sleep = sleep
        # Advisory lock keys are two int4: one for the account, one for the slot.
        self.key = zlib.crc32(f"orderbridge:netsuite:{account}".encode()) - 2**31

    @property
    def uses_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @contextmanager
    def hold(self) -> Iterator[int]:
        """Wait for a free slot (up to wait_seconds) and hold it for the block."""
        release = self._acquire()
        try:
            yield release[0]
        finally:
            release[1]()

    def _acquire(self) -> tuple[int, Callable[[], None]]:
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.02
        while True:
            taken = self._try_postgres() if self.uses_postgres else self._try_file()
            if taken is not None:
                return taken
            if time.monotonic() >= deadline:
                raise TransientError(
                    f"all {self.limit} NetSuite request slots of account {self.account} "
                    f"stayed busy for {self.wait_seconds:.0f}s",
                    system=SYSTEM,
                    error_class="rate_limit",
                    hint="other jobs hold the account's concurrency; raise "
                    "connections.netsuite.concurrency only if the account's limit allows",
                )
            self.sleep(random.uniform(delay / 2, delay))
            delay = min(delay * 2, 0.5)

    def _try_file(self) -> tuple[int, Callable[[], None]] | None:
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        for slot in range(self.limit):
            path = self.lock_dir / f"netsuite-{self.account}-{slot}.lock"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue

            def release(fd: int = fd) -> None:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

            return slot, release
        return None

    def _try_postgres(self) -> tuple[int, Callable[[], None]] | None:
        from sqlalchemy import text

        from core.store.db import get_engine

        connection = get_engine(self.database_url).connect()
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        for slot in range(self.limit):
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key, :slot)"), {"key": self.key, "slot": slot}
            ).scalar()
            if got:

                def release(slot: int = slot) -> None:
                    try:
                        connection.execute(
                            text("SELECT pg_advisory_unlock(:key, :slot)"),
                            {"key": self.key, "slot": slot},
                        )
                    finally:
                        connection.close()

                return slot, release
        connection.close()
        return None
