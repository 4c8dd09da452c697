"""Each test starts with no cached token and every circuit breaker closed."""

from __future__ import annotations

import pytest

from connectors.carriers.client import clear_token_cache
from core import retry


@pytest.fixture(autouse=True)
def _fresh_tokens_and_breakers():
    clear_token_cache()
    retry._BREAKERS.clear()
    yield
    clear_token_cache()
    retry._BREAKERS.clear()
