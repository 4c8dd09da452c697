"""The one permission table: which roles may use which endpoint, checked on every request.

Every endpoint of the app must appear here, as PUBLIC or with its roles; an endpoint missing
from the table is refused (and a test fails), so a new page is never open by accident.
"""

from __future__ import annotations

from core.users import ROLES
from reports.registry import REPORTS

PUBLIC = "public"
ALL = frozenset(ROLES)
ADMIN = frozenset({"admin"})
# The queues: coordinators chase, admins retry or resolve; stewards and finance read their
# own jobs' errors (web/error_store.py READ_SCOPES), finance the invoice exceptions.
QUEUE_ACT = frozenset({"coordinator", "admin"})
ERRORS_READ = QUEUE_ACT | {"steward", "finance"}
# Finance acts on the invoice and reconciliation cases only (web/exception_store.py SCOPES):
# the jobs make finance their owner.
EXCEPTIONS = QUEUE_ACT | {"finance"}
FINANCE = frozenset({"finance", "admin"})
# Each registry report's page and workbook: the roles reports/registry.py gives it (aging:
# coordinators, finance, admins; backorders: coordinators, admins). The reports page opens to
# anyone who may see one of them, and shows each only to its roles.
REPORT_PAGES = {
    endpoint: report.roles
    for name, report in REPORTS.items()
    for endpoint in (f"reports.{name}", f"reports.{name}_xlsx")
}
REPORTS_INDEX = ALL  # everyone may download the KPIs; each section shows to its roles
# Spreadsheet uploads: coordinators (order changes) and stewards (prices, ship-tos) upload and
# approve their own kinds (web/upload_store.py OWNERS); admins read them.
UPLOADERS = frozenset({"coordinator", "steward"})
UPLOADS = UPLOADERS | ADMIN
# Audit samples and review evidence: auditors draw and review; admins read.
AUDITOR = frozenset({"auditor"})
AUDIT_READ = AUDITOR | ADMIN
# The EDI page and its API: coordinators chase POs and 997s, admins watch the partners.
EDI_READ = QUEUE_ACT
# The mail folder: admins read every message, coordinators and finance their role's digests
# (web/mail.py visible).
MAIL_READ = frozenset({"coordinator", "finance"}) | ADMIN

PERMISSIONS: dict[str, str | frozenset[str]] = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    "health.healthz": PUBLIC,
    "health.metrics": PUBLIC,
    "auth.logout": ALL,
    "home.index": ALL,
    "tokens.index": ALL,
    "tokens.create": ALL,
    "tokens.revoke": ALL,
    "account.index": ALL,
    "account.password": ALL,
    "account.everywhere": ALL,
    "users.index": ADMIN,
    "users.role": ADMIN,
    "users.sign_out": ADMIN,
    "jobs.index": ADMIN,
    "jobs.detail": ADMIN,
    "jobs.run_now": ADMIN,
    "jobs.pause": ADMIN,
    "jobs.resume": ADMIN,
    "errors.index": ERRORS_READ,
    "errors.detail": ERRORS_READ,
    "errors.export_csv": ERRORS_READ,
    "errors.export_xlsx": ERRORS_READ,
    "errors.edit": QUEUE_ACT,
    "errors.retry": QUEUE_ACT,
    "errors.resolve": QUEUE_ACT,
    "errors.assign": QUEUE_ACT,
    "errors.bulk": QUEUE_ACT,
    "exceptions.index": EXCEPTIONS,
    "exceptions.detail": EXCEPTIONS,
    "exceptions.export_csv": EXCEPTIONS,
    "exceptions.export_xlsx": EXCEPTIONS,
    "exceptions.resolve": EXCEPTIONS,
    "exceptions.assign": EXCEPTIONS,
    "dashboard.index": ALL,
    "dashboard.chart": ALL,
    "reports.index": REPORTS_INDEX,
    "reports.reconciliation": FINANCE,
    # every role has KPI tiles on its dashboard; the workbook is what they recompute from
    "reports.kpi_xlsx": ALL,
    "reports.kpi_json": ALL,
    **REPORT_PAGES,
    "api.me": ALL,
    "api.errors": ERRORS_READ,
    "api.error": ERRORS_READ,
    "api.error_retry": QUEUE_ACT,
    "api.error_resolve": QUEUE_ACT,
    "api.error_assign": QUEUE_ACT,
    "api.exceptions": EXCEPTIONS,
    "api.exception": EXCEPTIONS,
    "api.exception_resolve": EXCEPTIONS,
    "api.exception_assign": EXCEPTIONS,
    "api.jobs": ADMIN,
    "api.job": ADMIN,
    "api.job_runs": ADMIN,
    "api.run_now": ADMIN,
    "api.pause": ADMIN,
    "api.resume": ADMIN,
    "api_uploads.index": UPLOADS,
    "api_uploads.detail": UPLOADS,
    "api_uploads.results": UPLOADS,
    "api_uploads.template": UPLOADS,
    "api_uploads.current_data": UPLOADS,
    "api_uploads.upload": UPLOADERS,
    "api_uploads.submit": UPLOADERS,
    "api_uploads.approve": UPLOADERS,
    "api_uploads.reject": UPLOADERS,
    "api_uploads.revert": UPLOADERS,
    "api_uploads.simulate": UPLOADERS,
    "api_uploads.simulation": UPLOADS,
    "api_uploads.simulation_workbook": UPLOADS,
    "uploads.index": UPLOADS,
    "uploads.template": UPLOADS,
    "uploads.current_data": UPLOADS,
    "uploads.detail": UPLOADS,
    "uploads.results": UPLOADS,
    "uploads.upload": UPLOADERS,
    "uploads.submit": UPLOADERS,
    "uploads.approve_upload": UPLOADERS,
    "uploads.reject": UPLOADERS,
    "uploads.revert": UPLOADERS,
    "uploads.simulate": UPLOADERS,
    "uploads.simulation_workbook": UPLOADS,
    "audit.index": AUDIT_READ,
    "audit.sample": AUDIT_READ,
    "audit.workbook": AUDIT_READ,
    "audit.draw": AUDITOR,
    "audit.review": AUDITOR,
    "audit.close_finding": AUDITOR,
    "edi.index": EDI_READ,
    "edi.interchange": EDI_READ,
    "edi.raw": EDI_READ,
    "api_edi.index": EDI_READ,
    "api_edi.interchange": EDI_READ,
    "mail.index": MAIL_READ,
    "mail.message": MAIL_READ,
    "mail.html": MAIL_READ,
}

# The navigation bar, in order; each entry shows only to roles allowed to open it.
NAV = (
    ("home.index", "Home"),
    ("dashboard.index", "Dashboard"),
    ("errors.index", "Error queue"),
    ("exceptions.index", "Exceptions"),
    ("edi.index", "EDI"),
    ("reports.index", "Reports"),
    ("uploads.index", "Uploads"),
    ("audit.index", "Audit"),
    ("jobs.index", "Jobs"),
    ("mail.index", "Mail"),
    ("users.index", "Users"),
    ("tokens.index", "API tokens"),
    ("account.index", "Account"),
)


def is_public(endpoint: str | None) -> bool:
    return PERMISSIONS.get(endpoint or "") == PUBLIC


def allowed(endpoint: str | None, role: str | None) -> bool:
    """May someone with this role (None: not signed in) use this endpoint?"""
    rule = PERMISSIONS.get(endpoint or "")
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    return role is not None and role in rule


def nav_for(role: str | None, endpoints: set[str]) -> list[tuple[str, str]]:
    return [
        (endpoint, label)
        for endpoint, label in NAV
        if endpoint in endpoints and allowed(endpoint, role) and not is_public(endpoint)
    ]
