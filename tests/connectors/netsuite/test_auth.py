from __future__ import annotations

import base64
import hashlib
import hmac

from connectors.netsuite import auth

CREDS = auth.Credentials("123456_sb1", "ck", "csecret", "tid", "tsecret")


def test_signature_is_hmac_sha256_of_the_documented_base_string():
    expected = base64.b64encode(
        hmac.new(
            b"csecret&tsecret", b"123456_SB1&ck&tid&nonce123&1700000000", hashlib.sha256
        ).digest()
    ).decode()
    assert auth.sign(CREDS, "nonce123", 1700000000) == expected


def test_sandbox_accounts_are_upper_case_in_the_realm_and_hyphenated_in_the_host():
    assert auth.realm("123456_sb1") == "123456_SB1"
    assert auth.host_label("123456_SB1") == "123456-sb1"
    assert auth.host_label("987654") == "987654"


def test_passport_carries_fields_in_schema_order_and_a_fresh_nonce():
    fields = auth.passport(CREDS, "abcdef", 1700000000)
    assert list(fields) == ["account", "consumerKey", "token", "nonce", "timestamp", "signature"]
    assert fields["account"] == "123456_SB1"
    assert fields["signature"]["algorithm"] == "HMAC-SHA256"
    assert auth.new_nonce() != auth.new_nonce() and len(auth.new_nonce()) == 20


def test_credentials_never_print_their_secrets():
    assert "csecret" not in repr(CREDS) and "tsecret" not in repr(CREDS)
