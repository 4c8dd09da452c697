"""The settings schema: every key, its form, its meaning; the README's table is made from it.

A key is a dotted path; `*` matches one level (a job id, a system name, a connection field).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.errors import ConfigError

_DURATION = re.compile(r"^(\d+)(s|m|h|d)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Names of connection fields that hold secrets; they never come from a YAML file but ours.
SECRET_FIELD = re.compile(r"(password|secret|token|api_key|private_key)$")
# Settings outside connections that come only from the environment: where the mail server is
# and how to sign in to it.
ENV_ONLY = frozenset({"mail.smtp_host", "mail.smtp_user", "mail.smtp_password"})
# Keys and certificates of AS2 (PEM text or a path), also only from the environment; the
# sandbox's own, created under var/sandbox/, are named in default.yaml.
ENV_ONLY_PATTERNS = ("edi.as2_private_key", "edi.as2_certificate", "edi.partners.*.as2_certificate")


def _x12_id(low: int, high: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = "" if value is None else str(value)
        if not low <= len(text) <= high or not text.isprintable() or "*" in text:
            raise ValueError(f"{low} to {high} printable characters")
        return text

    return check


def _delimiter(value: Any) -> str:
    text = "" if value is None else str(value)
    if len(text) != 1 or text.isalnum() or text == " ":
        raise ValueError("one character that is neither a letter, a digit nor a space")
    return text


def _sets(value: Any) -> str:
    known = {"850", "860", "855", "856", "810"}
    parts = [part.strip() for part in str(value or "").split(",") if part.strip()]
    if not parts or any(part not in known for part in parts):
        raise ValueError("set ids, comma-separated, of " + ", ".join(sorted(known)))
    return ",".join(parts)


def parse_duration(text: str) -> int:
    """'10s', '5m', '1h', '1d' to seconds."""
    match = _DURATION.match(str(text).strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError("a duration such as 10s, 5m, 1h or 1d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _choice(*options: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value not in options:
            raise ValueError("one of " + ", ".join(options))
        return value

    return check


def _int(low: int = 0, high: int | None = None) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < low
            or (high is not None and value > high)
        ):
            bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise ValueError(f"a whole number {bound}")
        return value

    return check


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError("a number of at least 0")
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _text_or_null(value: Any) -> Any:
    if value is not None and not isinstance(value, str):
        raise ValueError("text")
    return value


def _scalar(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        raise ValueError("a single value")
    return value


def _decimal(value: Any) -> str:
    """A non-negative decimal, kept as its text so money never passes through a float."""
    from decimal import Decimal, InvalidOperation

    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("a decimal number such as 0.01")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("a decimal number such as 0.01") from None
    if not number.is_finite() or number < 0:
        raise ValueError("a decimal number of at least 0")
    return str(value).strip()


def parse_day_edges(value: Any) -> tuple[int, ...]:
    """Bucket edges in days, ascending positive whole numbers: a list, or from the
    environment a comma-separated text such as "7,14,30,60,90"."""
    items = value.split(",") if isinstance(value, str) else value
    if isinstance(items, int) and not isinstance(items, bool):
        items = [items]
    if not isinstance(items, (list, tuple)) or not items:
        raise ValueError("a list of ascending whole numbers of days, e.g. [7, 14, 30, 60, 90]")
    edges = []
    for item in items:
        text = str(item).strip()
        if isinstance(item, bool) or not text.isdigit() or int(text) < 1:
            raise ValueError(f"whole numbers of days of at least 1 ({item!r} is not)")
        edges.append(int(text))
    if any(later <= earlier for earlier, later in zip(edges, edges[1:], strict=False)):
        raise ValueError("ascending whole numbers of days, each larger than the one before")
    return tuple(edges)


def _day_edges(value: Any) -> Any:
    parse_day_edges(value)
    return value


def _duration(value: Any) -> str:
    parse_duration(value)
    return str(value)


def _cron(value: Any) -> str:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(str(value), timezone="UTC")
    except ValueError as exc:
        raise ValueError("a five-field crontab line such as '*/5 * * * *'") from exc
    return str(value)


def _clock_time(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError("a time of day HH:MM such as '07:00'")
    return value


def _wsdl_version(value: Any) -> str:
    if not re.fullmatch(r"20\d\d_[12]", str(value)):
        raise ValueError("a SuiteTalk version such as 2025_2")
    return str(value)


def _timestamp(value: Any) -> str:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError("an ISO 8601 timestamp with offset") from exc
    if parsed.tzinfo is None:
        raise ValueError("an ISO 8601 timestamp with offset")
    return str(value)


@dataclass(frozen=True)
class Setting:
    path: str
    check: Callable[[Any], Any]
    form: str
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "mode",
        _choice("embedded", "production"),
        "embedded | production",
        "embedded runs everything on this machine against the sandbox; production refuses "
        "demo users and requires secret_key",
    ),
    Setting("data_dir", _text_or_null, "folder", "where the embedded default writes everything"),
    Setting(
        "database_url",
        _text_or_null,
        "SQLAlchemy URL",
        "the store; default SQLite in the data folder",
    ),
    Setting(
        "secret_key",
        _text_or_null,
        "text",
        "signs sessions and CSRF tokens; embedded mode generates one into the data folder",
    ),
    Setting("trace_dir", _text_or_null, "folder", "write every external call here, secrets masked"),
    Setting("erp", _choice("netsuite", "sap"), "netsuite | sap", "which ERP the jobs talk to"),
    Setting(
        "netsuite.wsdl_version",
        _wsdl_version,
        "YYYY_N, e.g. 2025_2",
        "the NetSuite SuiteTalk SOAP endpoint version",
    ),
    Setting(
        "sandbox.enabled",
        _bool,
        "true | false",
        "route the external systems' host names to the in-process simulators",
    ),
    Setting("sandbox.seed", _int(0), "number", "seed of the sandbox world on first start"),
    Setting("web.host", _text_or_null, "address", "where the portal listens"),
    Setting("web.port", _int(1, 65535), "port", "where the portal listens"),
    Setting(
        "web.login_attempts_per_minute",
        _int(1),
        "number",
        "failed sign-ins allowed per user name and address per minute",
    ),
    Setting("web.threads", _int(1, 64), "number", "web server threads"),
    Setting(
        "scheduler.anchor",
        _timestamp,
        "ISO timestamp",
        "interval triggers count from here, so leader and standby agree on fire times",
    ),
    Setting("scheduler.workers", _int(0, 32), "number", "worker processes `serve` starts"),
    Setting("scheduler.poll_seconds", _number, "seconds", "how often a worker looks for work"),
    Setting(
        "scheduler.lease_seconds",
        _int(5),
        "seconds",
        "a claim not renewed for this long is taken over",
    ),
    Setting(
        "scheduler.standby_poll_seconds",
        _number,
        "seconds",
        "how often a standby scheduler tries to become the leader",
    ),
    Setting("jobs.*.every", _duration, "10s, 5m, 1h", "run the job at this interval"),
    Setting("jobs.*.cron", _cron, "crontab line", "run the job on this schedule (UTC)"),
    Setting("jobs.*.lookback", _duration, "10s, 5m, 1h", "how far before the watermark to read"),
    Setting("jobs.*.paused", _bool, "true | false", "start with the job paused"),
    Setting(
        "exceptions.default_sla_hours",
        _int(1),
        "hours",
        "time an owner has to act on an exception whose kind has no sla_hours line",
    ),
    Setting(
        "exceptions.sla_hours.*",
        _int(1),
        "hours",
        "time an owner has to act on an exception of this kind (shipment_late, "
        "invoice_price_mismatch, recon_shipped_not_invoiced, ...)",
    ),
    Setting(
        "exceptions.default_owner",
        _text_or_null,
        "role or user",
        "who owns a new exception whose kind has no owners line",
    ),
    Setting(
        "exceptions.owners.*",
        _text_or_null,
        "role or user",
        "who owns a new exception of this kind",
    ),
    Setting(
        "invoices.price_tolerance",
        _decimal,
        "amount",
        "unit price difference (invoice currency) sync_invoices lets pass",
    ),
    Setting(
        "invoices.quantity_tolerance",
        _decimal,
        "quantity",
        "invoiced minus shipped quantity sync_invoices lets pass per line",
    ),
    Setting(
        "invoices.tax_tolerance",
        _decimal,
        "amount",
        "difference between an invoice's tax and subtotal times its country's rate let pass",
    ),
    Setting(
        "invoices.tax_rates.*",
        _decimal,
        "rate, e.g. 0.19",
        "tax rate of a ship-to country (ISO code); invoices to countries without one are "
        "not checked for tax",
    ),
    Setting(
        "invoices.freight_max_share",
        _decimal,
        "share, e.g. 0.15",
        "freight above this share of an invoice's subtotal is a discrepancy",
    ),
    Setting(
        "invoices.freight_max",
        _decimal,
        "amount",
        "freight above this amount on one invoice is a discrepancy",
    ),
    Setting(
        "reconciliation.period_days",
        _int(1),
        "days",
        "the scheduled reconcile_orders run covers orders dated within this many days",
    ),
    Setting(
        "reconciliation.price_tolerance",
        _decimal,
        "amount",
        "unit price difference between order and invoice that is not a price mismatch",
    ),
    Setting(
        "reconciliation.invoice_grace_days",
        _int(0),
        "days",
        "a shipment not invoiced within this many days is shipped-not-invoiced",
    ),
    Setting(
        "flows.price_tolerance_percent",
        _number,
        "percent",
        "sync_orders rejects an order line priced further than this from the price list",
    ),
    Setting(
        "flows.create_missing_customers",
        _bool,
        "true | false",
        "sync_orders creates a customer or ship-to the ERP lacks from its Salesforce account; "
        "false rejects the order",
    ),
    Setting(
        "flows.warehouses",
        _text_or_null,
        "codes, comma-separated",
        "3PL warehouses in order of preference; push_fulfillments ships an order from the one "
        "that fills most lines, ties going to the earlier",
    ),
    Setting(
        "flows.backorder_release_rule",
        _choice("customer_priority,order_date", "order_date"),
        "customer_priority,order_date | order_date",
        "the order in which release_backorders gives new stock to backordered lines",
    ),
    Setting(
        "flows.availability_source",
        _choice("threepl", "erp"),
        "threepl | erp",
        "where release_backorders reads availability: the 3PL's inventory or the ERP's "
        "(as pull_master_data stored it)",
    ),
    Setting(
        "reports.aging_buckets",
        _day_edges,
        "days, ascending, e.g. [7, 14, 30, 60, 90]",
        "upper edges of the open-order aging buckets (0-7, 8-14, ... days from the order "
        "date); older than the last edge is the last bucket; env: comma-separated",
    ),
    Setting("uploads.max_bytes", _int(1), "bytes", "largest workbook accepted"),
    Setting("uploads.max_rows", _int(1), "number", "most data rows in one workbook"),
    Setting("uploads.parse_timeout_seconds", _int(1), "seconds", "time limit of the parse child"),
    Setting("uploads.parse_memory_mb", _int(64), "MB", "memory limit of the parse child"),
    Setting(
        "uploads.max_columns",
        _int(1, 16384),
        "number",
        "columns a sheet may use; a cell further right refuses the workbook",
    ),
    Setting("uploads.max_parts", _int(1), "number", "most parts (files) inside one workbook"),
    Setting(
        "uploads.max_ratio",
        _int(1),
        "number",
        "most a part larger than 1 MiB may expand when unzipped (ZIP bomb guard)",
    ),
    Setting(
        "uploads.max_unpacked_bytes",
        _int(1),
        "bytes",
        "most a workbook may hold once unzipped, all parts together",
    ),
    Setting(
        "uploads.price_change_approval_percent",
        _number,
        "percent",
        "a price-list change larger than this needs a second steward's approval",
    ),
    Setting(
        "mail.from",
        _text_or_null,
        "address",
        "the From of every message Orderbridge sends (digests, customer notices)",
    ),
    Setting(
        "mail.folder",
        _text_or_null,
        "folder",
        "where messages land as .eml files when no SMTP host is set; default: outbox/ in "
        "the data folder (not the store's outbox table)",
    ),
    Setting(
        "mail.smtp_host",
        _text_or_null,
        "host name",
        "send over SMTP through this server instead of into the mail folder; only from the "
        "environment",
    ),
    Setting("mail.smtp_port", _int(1, 65535), "port", "the SMTP server's port"),
    Setting(
        "mail.smtp_starttls",
        _bool,
        "true | false",
        "upgrade the SMTP connection with STARTTLS; credentials are never sent without it "
        "unless the host is loopback",
    ),
    Setting("mail.smtp_user", _text_or_null, "text", "SMTP login; only from the environment"),
    Setting(
        "mail.smtp_password", _text_or_null, "text", "SMTP password; only from the environment"
    ),
    Setting(
        "mail.smtp_timeout_seconds", _int(1), "seconds", "time limit of each SMTP conversation"
    ),
    Setting(
        "digest.*.to",
        _text_or_null,
        "addresses, comma-separated",
        "who gets the daily digest of a role (coordinator, finance, admin); over SMTP a role "
        "without addresses gets none",
    ),
    Setting(
        "digest.*.at",
        _clock_time,
        "HH:MM (UTC)",
        "send_digest sends the role's digest once a day, at its first run after this time",
    ),
    Setting(
        "edi.root",
        _text_or_null,
        "folder",
        "the file-drop root: <root>/<partner>/inbound, outbound, archive and error; default: "
        "edi/ in the data folder",
    ),
    Setting(
        "edi.isa_qualifier", _x12_id(2, 2), "ISA05 code, e.g. ZZ", "our interchange id qualifier"
    ),
    Setting("edi.isa_id", _x12_id(1, 15), "text, up to 15", "our interchange sender id (ISA06)"),
    Setting("edi.gs_id", _x12_id(2, 15), "text, 2 to 15", "our application sender code (GS02)"),
    Setting("edi.as2_id", _x12_id(1, 128), "text", "our AS2 name (AS2-From of what we send)"),
    Setting(
        "edi.as2_private_key",
        _text_or_null,
        "PEM text or a path",
        "our AS2 signing and decryption key; only from the environment",
    ),
    Setting(
        "edi.as2_certificate",
        _text_or_null,
        "PEM text or a path",
        "our AS2 certificate, as partners hold it; only from the environment",
    ),
    Setting(
        "edi.gs1_company_prefix",
        _text_or_null,
        "digits",
        "our GS1 company prefix: the SSCC-18 of every carton in an 856 starts with it",
    ),
    Setting("edi.partners.*.name", _text_or_null, "text", "the trading partner's name"),
    Setting(
        "edi.partners.*.customer",
        _text_or_null,
        "customer number",
        "the customer the partner's purchase orders are entered for",
    ),
    Setting(
        "edi.partners.*.isa_qualifier", _x12_id(2, 2), "ISA05 code", "the partner's id qualifier"
    ),
    Setting("edi.partners.*.isa_id", _x12_id(1, 15), "text", "the partner's interchange id"),
    Setting("edi.partners.*.gs_id", _x12_id(2, 15), "text", "the partner's application code"),
    Setting(
        "edi.partners.*.version",
        _choice("004010", "005010"),
        "004010 | 005010",
        "the X12 version of the groups we send the partner",
    ),
    Setting(
        "edi.partners.*.element_separator", _delimiter, "character", "outbound element separator"
    ),
    Setting(
        "edi.partners.*.sub_element_separator",
        _delimiter,
        "character",
        "outbound component separator (ISA16)",
    ),
    Setting(
        "edi.partners.*.segment_terminator", _delimiter, "character", "outbound segment terminator"
    ),
    Setting(
        "edi.partners.*.repetition_separator",
        _delimiter,
        "character",
        "outbound repetition separator (ISA11, 005010)",
    ),
    Setting(
        "edi.partners.*.sets",
        _sets,
        "set ids, e.g. 850,860,855,856,810",
        "the sets exchanged with the partner (997s always are)",
    ),
    Setting(
        "edi.partners.*.ack_due_hours",
        _int(1),
        "hours",
        "a set we send with no 997 after this long is an edi_ack_late exception",
    ),
    Setting(
        "edi.partners.*.transport",
        _choice("file", "as2"),
        "file | as2",
        "how we send the partner what we build: its outbound folder, or AS2",
    ),
    Setting("edi.partners.*.as2_id", _x12_id(1, 128), "text", "the partner's AS2 name"),
    Setting("edi.partners.*.as2_url", _text_or_null, "URL", "the partner's AS2 endpoint"),
    Setting(
        "edi.partners.*.as2_certificate",
        _text_or_null,
        "PEM text or a path",
        "the partner's AS2 certificate (checks its signatures, encrypts to it); only from the "
        "environment",
    ),
    Setting(
        "edi.partners.*.items.*",
        _text_or_null,
        "SKU",
        "item cross-reference: the partner's buyer part number or UPC to our SKU",
    ),
    Setting(
        "edi.partners.*.ship_tos.*",
        _text_or_null,
        "ship-to code",
        "the partner's store or DC number (N104) to our ship-to code",
    ),
    Setting(
        "connections.*.*",
        _scalar,
        "value",
        "one field of a connection (url, account, credentials, timeout_seconds, ...); "
        "fields named *password, *secret, *token, *api_key come only from the environment",
    ),
)


def find_setting(path: str) -> Setting | None:
    parts = path.split(".")
    for setting in SETTINGS:
        pattern = setting.path.split(".")
        if len(pattern) != len(parts):
            continue
        if all(p in ("*", q) for p, q in zip(pattern, parts, strict=True)):
            return setting
    return None


def check_value(path: str, value: Any) -> Any:
    setting = find_setting(path)
    if setting is None:
        raise ConfigError("unknown setting", key=path, hint="see the settings table in README.md")
    try:
        return setting.check(value)
    except ValueError as exc:
        raise ConfigError(f"expected {exc}, got {value!r}", key=path) from None


def env_variable(path: str) -> str:
    return "ORDERBRIDGE__" + "__".join(part.upper() for part in path.split("."))


def settings_table() -> str:
    """The README's settings table, made from SETTINGS so the two cannot drift."""
    rows = ["| setting | environment variable | form | meaning |", "|---|---|---|---|"]
    for setting in SETTINGS:
        variable = env_variable(setting.path).replace("*", "<NAME>")
        path = setting.path.replace("*", "<name>")
        form, meaning = (text.replace("|", "\\|") for text in (setting.form, setting.meaning))
        rows.append(f"| `{path}` | `{variable}` | {form} | {meaning} |")
    return "\n".join(rows)
