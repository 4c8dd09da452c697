from __future__ import annotations

from pathlib import Path

import pytest

from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.connector import SalesforceConnector
from connectors.salesforce.options import options_from_settings
from core import http
from core.retry import CircuitBreaker, RetryPolicy

INSTANCE = "https://orderbridge-sandbox.my.salesforce.com"
API = f"{INSTANCE}/services/data/v59.0"
SOAP_LOGIN = "https://test.salesforce.com/services/Soap/u/59.0"

LOGIN_OK = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>
<passwordExpired>false</passwordExpired><sandbox>true</sandbox>
<serverUrl>https://orderbridge-sandbox.my.salesforce.com/services/Soap/u/59.0/00D</serverUrl>
<sessionId>{session}</sessionId><userId>005000000000001</userId>
</result></loginResponse></soapenv:Body></soapenv:Envelope>"""

LOGIN_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>
<faultcode>sf:INVALID_LOGIN</faultcode>
<faultstring>INVALID_LOGIN: Invalid username, password, security token; or user locked out.
</faultstring><detail><sf:LoginFault><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>
<sf:exceptionMessage>Invalid username, password, security token; or user locked out.
</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body>
</soapenv:Envelope>"""


def soap_login_ok(session: str = "00D!SESSION-1") -> str:
    return LOGIN_OK.format(session=session)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def sf_ref(reference: Path) -> Path:
    return reference / "salesforce" / "restforce"


def connector_for(settings, sleep) -> SalesforceConnector:
    """A connector on a core.http session, sleeping into `sleep`, with its own breaker."""
    options = options_from_settings(settings.connections.salesforce)
    client = SalesforceClient(
        options,
        http.new_session("salesforce", options.timeout_seconds),
        sleep=sleep,
        policy=RetryPolicy(attempts=4, base_seconds=0.01),
        breaker=CircuitBreaker("salesforce"),
    )
    return SalesforceConnector(options, client)


@pytest.fixture
def make_connector(make_settings, sleeps):
    """make_connector(**connections.salesforce overrides) -> a connector for responses tests."""

    def make(**overrides) -> SalesforceConnector:
        fields = {f"connections__salesforce__{k}": v for k, v in overrides.items()}
        return connector_for(make_settings(**fields), sleeps)

    return make
