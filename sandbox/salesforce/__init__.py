"""The Salesforce simulator: SOAP and OAuth login, REST API (SOQL with paging, upsert by
External ID, sObject Collections, the limits header and quota 403) and Bulk API 2.0 ingest.

Hosts: login.salesforce.com and test.salesforce.com for login, the org's My Domain
(orderbridge-sandbox.my.salesforce.com) for everything. See app.py for its faults.
"""

from __future__ import annotations

from sandbox.registry import Simulator
from sandbox.salesforce.app import SalesforceApp
from sandbox.salesforce.seed import seed

simulator = Simulator(
    system="salesforce",
    hosts=("login.salesforce.com", "test.salesforce.com", ".my.salesforce.com"),
    make_app=SalesforceApp,
    on_reset=seed,
)
