"""The report registry the portal, the CLI and the digest read."""

from __future__ import annotations

from core.users import ROLES
from reports.registry import REPORTS


def test_the_registry_holds_aging_and_backorders_each_defined_and_declared():
    assert set(REPORTS) >= {"aging", "backorders"}
    for name, report in REPORTS.items():
        assert report.name == name and report.title
        assert len(report.definition.split()) > 20, f"{name} says what it counts"
        assert report.roles and report.roles <= set(ROLES)
        assert report.columns and len({c.key for c in report.columns}) == len(report.columns)
        assert callable(report.compute)


def test_coordinators_and_admins_see_both_and_finance_sees_aging():
    assert REPORTS["aging"].roles == {"coordinator", "finance", "admin"}
    assert REPORTS["backorders"].roles == {"coordinator", "admin"}
