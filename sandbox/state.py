"""Sandbox state in its own SQLite file: records, call counts, faults, meta and the world seed.

Safe for several threads and processes: one connection per thread and process, WAL journal,
a busy timeout and short write transactions taken with BEGIN IMMEDIATE.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from sandbox.registry import SIMULATORS, load_simulators
from sandbox.world import CARRIERS, World, build_world

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    system TEXT NOT NULL, operation TEXT NOT NULL, calls INTEGER NOT NULL,
    max_batch INTEGER, PRIMARY KEY (system, operation));
CREATE TABLE IF NOT EXISTS records (
    system TEXT NOT NULL, rtype TEXT NOT NULL, seq INTEGER NOT NULL,
    internal_id TEXT NOT NULL, external_id TEXT, payload TEXT NOT NULL,
    modified_at TEXT NOT NULL, duplicate_writes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (system, rtype, internal_id));
CREATE UNIQUE INDEX IF NOT EXISTS records_by_external_id ON records (system, rtype, external_id);
CREATE INDEX IF NOT EXISTS records_by_seq ON records (system, rtype, seq);
CREATE TABLE IF NOT EXISTS sequences (
    system TEXT NOT NULL, rtype TEXT NOT NULL, last INTEGER NOT NULL,
    PRIMARY KEY (system, rtype));
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, system TEXT NOT NULL, kind TEXT NOT NULL,
    params TEXT NOT NULL, remaining INTEGER);
CREATE TABLE IF NOT EXISTS meta (
    system TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (system, key));
"""
_TABLES = ("calls", "records", "sequences", "faults", "meta")
_WORLD = "_sandbox"  # meta "system" holding the world's seed and today


class NotSeededError(LookupError):
    """The state has no world yet: run `sandbox reset --seed N` first."""


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _timestamp(value: datetime | str) -> str:
    """Fixed-width UTC ISO text, so timestamps compare correctly as strings."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError(f"sandbox: naive datetime {moment!r}; pass a timezone-aware one")
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


class SandboxState:
    """Everything the simulators remember, in one SQLite file that survives restarts."""

    def __init__(self, path: str | Path, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._world: tuple[tuple[int, str], World] | None = None
        with self.transaction() as conn:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    # -- connections and transactions -------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            local.conn, local.pid, local.depth = conn, os.getpid(), 0
            with self._lock:
                self._connections.append(conn)
        return local.conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; nested uses join the outer one (e.g. seeding many records)."""
        conn = self._conn()
        local = self._local
        if local.depth:
            local.depth += 1
            try:
                yield conn
            finally:
                local.depth -= 1
            return
        conn.execute("BEGIN IMMEDIATE")
        local.depth = 1
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
        finally:
            local.depth = 0

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        return self._conn().execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- calls ------------------------------------------------------------------------------

    def count_call(self, system: str, operation: str, batch_size: int | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO calls (system, operation, calls, max_batch) VALUES (?, ?, 1, ?)"
                " ON CONFLICT (system, operation) DO UPDATE SET calls = calls + 1,"
                " max_batch = CASE WHEN excluded.max_batch IS NULL THEN max_batch"
                " WHEN max_batch IS NULL OR excluded.max_batch > max_batch"
                " THEN excluded.max_batch ELSE max_batch END",
                (system, operation, batch_size),
            )

    # -- records ----------------------------------------------------------------------------

    def put_record(
        self,
        system: str,
        rtype: str,
        external_id: str | None,
        payload: dict[str, Any],
        *,
        internal_id: str | None = None,
        modified_at: datetime | None = None,
    ) -> str:
        """Upsert a record; returns its internal id.

        Found by external id (else by `internal_id` when given). A new record gets
        `internal_id` or the next sequential number of its system and type ("1", "2", ...).
        Writing the same external id again with a payload identical to the stored one is a
        duplicate (a resend that changed nothing); a changed payload is an update. Every
        write, duplicate or not, sets modified_at to now, as real systems do on any save, or to
        `modified_at` when a simulator writes down late what its system did at that moment.
        """
        text = _canonical(payload)
        now = _timestamp(modified_at if modified_at is not None else self.clock())
        with self.transaction() as conn:
            row = None
            if external_id is not None:
                row = conn.execute(
                    "SELECT internal_id, payload FROM records"
                    " WHERE system = ? AND rtype = ? AND external_id = ?",
                    (system, rtype, external_id),
                ).fetchone()
            if row is None and internal_id is not None:
                row = conn.execute(
                    "SELECT internal_id, payload FROM records"
                    " WHERE system = ? AND rtype = ? AND internal_id = ?",
                    (system, rtype, internal_id),
                ).fetchone()
            if row is not None:
                duplicate = external_id is not None and row["payload"] == text
                conn.execute(
                    "UPDATE records SET payload = ?, modified_at = ?,"
                    " external_id = COALESCE(?, external_id),"
                    " duplicate_writes = duplicate_writes + ?"
                    " WHERE system = ? AND rtype = ? AND internal_id = ?",
                    (text, now, external_id, int(duplicate), system, rtype, row["internal_id"]),
                )
                return row["internal_id"]
            seq = self._next_seq(conn, system, rtype)
            new_id = internal_id if internal_id is not None else str(seq)
            conn.execute(
                "INSERT INTO records (system, rtype, seq, internal_id, external_id, payload,"
                " modified_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (system, rtype, seq, new_id, external_id, text, now),
            )
            return new_id

    @staticmethod
    def _next_seq(conn: sqlite3.Connection, system: str, rtype: str) -> int:
        conn.execute(
            "INSERT INTO sequences (system, rtype, last) VALUES (?, ?, 1)"
            " ON CONFLICT (system, rtype) DO UPDATE SET last = last + 1",
            (system, rtype),
        )
        return conn.execute(
            "SELECT last FROM sequences WHERE system = ? AND rtype = ?", (system, rtype)
        ).fetchone()[0]

    @staticmethod
    def _record(row: sqlite3.Row) -> dict[str, Any]:
        record = json.loads(row["payload"])
        record.update(
            internal_id=row["internal_id"],
            external_id=row["external_id"],
            modified_at=row["modified_at"],
        )
        return record

    def _find_row(self, system: str, rtype: str, key: str) -> sqlite3.Row | None:
        rows = self._read(
            "SELECT * FROM records WHERE system = ? AND rtype = ?"
            " AND (external_id = ? OR internal_id = ?) ORDER BY external_id = ? DESC LIMIT 1",
            (system, rtype, key, key, key),
        )
        return rows[0] if rows else None

    def get_record(self, system: str, rtype: str, key: str) -> dict[str, Any] | None:
        """A record by external id, else by internal id; payload fields plus internal_id,
        external_id and modified_at."""
        row = self._find_row(system, rtype, key)
        return self._record(row) if row is not None else None

    def find_records(
        self,
        system: str,
        rtype: str,
        *,
        modified_since: datetime | str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Records in internal id (creation) order; `modified_since` is inclusive."""
        sql = "SELECT * FROM records WHERE system = ? AND rtype = ?"
        params: list[Any] = [system, rtype]
        if modified_since is not None:
            sql += " AND modified_at >= ?"
            params.append(_timestamp(modified_since))
        sql += " ORDER BY seq LIMIT ? OFFSET ?"
        params += [-1 if limit is None else limit, offset]
        return [self._record(row) for row in self._read(sql, tuple(params))]

    def count_records(self, system: str, rtype: str) -> int:
        sql = "SELECT COUNT(*) FROM records WHERE system = ? AND rtype = ?"
        return self._read(sql, (system, rtype))[0][0]

    def delete_record(self, system: str, rtype: str, key: str) -> bool:
        with self.transaction() as conn:
            row = self._find_row(system, rtype, key)
            if row is None:
                return False
            conn.execute(
                "DELETE FROM records WHERE system = ? AND rtype = ? AND internal_id = ?",
                (system, rtype, row["internal_id"]),
            )
            return True

    # -- faults -----------------------------------------------------------------------------

    def set_fault(self, system: str, kind: str, **params: Any) -> dict[str, Any]:
        """Switch a fault on for a system, replacing any fault of the same kind there.

        `times=N` limits it to the next N matching calls (default: every call until cleared).
        """
        times = params.pop("times", None)
        with self.transaction() as conn:
            conn.execute("DELETE FROM faults WHERE system = ? AND kind = ?", (system, kind))
            cursor = conn.execute(
                "INSERT INTO faults (system, kind, params, remaining) VALUES (?, ?, ?, ?)",
                (system, kind, json.dumps(params, sort_keys=True), times),
            )
        return {"id": cursor.lastrowid, "kind": kind, "params": params, "remaining": times}

    def get_faults(self, system: str) -> list[dict[str, Any]]:
        rows = self._read("SELECT * FROM faults WHERE system = ? ORDER BY id", (system,))
        return [
            {
                "id": row["id"],
                "kind": row["kind"],
                "params": json.loads(row["params"]),
                "remaining": row["remaining"],
            }
            for row in rows
        ]

    def consume_fault(self, fault_id: int) -> bool:
        """Use one shot of a fault: False if it is gone (used up or cleared meanwhile)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT remaining FROM faults WHERE id = ?", (fault_id,)).fetchone()
            if row is None:
                return False
            if row["remaining"] is not None and row["remaining"] <= 1:
                conn.execute("DELETE FROM faults WHERE id = ?", (fault_id,))
            elif row["remaining"] is not None:
                conn.execute(
                    "UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (fault_id,)
                )
            return True

    def clear_faults(self, system: str | None = None) -> None:
        with self.transaction() as conn:
            if system is None:
                conn.execute("DELETE FROM faults")
            else:
                conn.execute("DELETE FROM faults WHERE system = ?", (system,))

    # -- meta -------------------------------------------------------------------------------

    def meta_get(self, system: str, key: str, default: Any = None) -> Any:
        rows = self._read("SELECT value FROM meta WHERE system = ? AND key = ?", (system, key))
        return json.loads(rows[0]["value"]) if rows else default

    def meta_set(self, system: str, key: str, value: Any) -> None:
        """Store a JSON-compatible value (a token, a session, a cursor)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta (system, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT (system, key) DO UPDATE SET value = excluded.value",
                (system, key, json.dumps(value, default=str)),
            )

    # -- the world --------------------------------------------------------------------------

    @property
    def seed(self) -> int | None:
        return self.meta_get(_WORLD, "seed")

    @property
    def today(self) -> date | None:
        value = self.meta_get(_WORLD, "today")
        return date.fromisoformat(value) if value else None

    @property
    def is_seeded(self) -> bool:
        return self.seed is not None

    @property
    def world(self) -> World:
        """The seeded world, rebuilt from the stored seed and today (cached per process)."""
        seed, today = self.seed, self.meta_get(_WORLD, "today")
        if seed is None:
            raise NotSeededError(f"sandbox: {self.path} has no world; run sandbox reset first")
        with self._lock:
            if self._world is None or self._world[0] != (seed, today):
                self._world = ((seed, today), build_world(seed, date.fromisoformat(today)))
            return self._world[1]

    def reset(self, seed: int, today: date | None = None) -> World:
        """Wipe everything, store the world of `seed` anchored on `today` (default: today in
        UTC), and let each simulator copy its part of it into the records."""

        anchor = today or self.clock().astimezone(timezone.utc).date()
        simulators = load_simulators()
        with self.transaction() as conn:  # all or nothing: no one sees a half-seeded sandbox
            for table in _TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - table names are ours
            self.meta_set(_WORLD, "seed", seed)
            self.meta_set(_WORLD, "today", anchor.isoformat())
            world = self.world
            for simulator in simulators:
                if simulator.on_reset is not None:
                    simulator.on_reset(self)
        return world

    # -- stats ------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """{"systems": {system: {"calls", "max_batch", "records", "duplicates"}},
        "tracking_numbers": {carrier: [...]}}; duplicates counts records that were written
        again under their external id with an identical payload."""
        systems: dict[str, dict[str, dict[str, int]]] = {}

        def entry(system: str) -> dict[str, dict[str, int]]:
            keys = ("calls", "max_batch", "records", "duplicates")
            return systems.setdefault(system, {key: {} for key in keys})

        for system in SIMULATORS:
            entry(system)
        for row in self._read("SELECT * FROM calls ORDER BY system, operation"):
            entry(row["system"])["calls"][row["operation"]] = row["calls"]
            if row["max_batch"] is not None:
                entry(row["system"])["max_batch"][row["operation"]] = row["max_batch"]
        for row in self._read(
            "SELECT system, rtype, COUNT(*) AS n, SUM(duplicate_writes > 0) AS dups"
            " FROM records GROUP BY system, rtype ORDER BY system, rtype"
        ):
            entry(row["system"])["records"][row["rtype"]] = row["n"]
            entry(row["system"])["duplicates"][row["rtype"]] = row["dups"]
        tracking = self.world.tracking_numbers() if self.is_seeded else {}
        return {
            "systems": systems,
            "tracking_numbers": {carrier: list(tracking.get(carrier, [])) for carrier in CARRIERS},
        }
