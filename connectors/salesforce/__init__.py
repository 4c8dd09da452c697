"""Salesforce connector: SOQL reads, upserts by External ID, API quota awareness.

`QuotaExhaustedError` is what a job runner parks on; `from_settings` builds the connector.
"""

from __future__ import annotations

from connectors.salesforce.errors import QuotaExhaustedError

__all__ = ["QuotaExhaustedError"]
