"""Token-based authentication: the tokenPassport SOAP header and the account's host name.

The signature is HMAC-SHA256 over `account&consumerKey&token&nonce&timestamp` keyed with
`consumerSecret&tokenSecret`, base64-encoded (NetSuite help, "TokenPassport Complex Type").
A sandbox account is written 123456_SB1 in the passport (upper case) and 123456-sb1 in its
account-specific host name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

ALGORITHM = "HMAC-SHA256"
_NONCE_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Credentials:
    account: str
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str

    def __repr__(self) -> str:
        return f"Credentials(account={self.account!r}, secrets=***)"


def realm(account: str) -> str:
    """The account id as the passport and signature carry it: 123456_sb1 -> 123456_SB1."""
    return account.strip().upper().replace("-", "_")


def host_label(account: str) -> str:
    """The account id as its host name carries it: 123456_SB1 -> 123456-sb1."""
    return account.strip().lower().replace("_", "-")


def new_nonce(length: int = 20) -> str:
    """A random alphanumeric string; NetSuite asks for 6 to 64 characters."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def sign(credentials: Credentials, nonce: str, timestamp: int) -> str:
    base = "&".join(
        (realm(credentials.account), credentials.consumer_key, credentials.token_id, nonce)
        + (str(timestamp),)
    )
    key = f"{credentials.consumer_secret}&{credentials.token_secret}"
    digest = hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def passport(credentials: Credentials, nonce: str, timestamp: int) -> dict[str, object]:
    """The tokenPassport fields in schema order, the signature with its algorithm attribute."""
    return {
        "account": realm(credentials.account),
        "consumerKey": credentials.consumer_key,
        "token": credentials.token_id,
        "nonce": nonce,
        "timestamp": timestamp,
        "signature": {"_value_1": sign(credentials, nonce, timestamp), "algorithm": ALGORITHM},
    }
