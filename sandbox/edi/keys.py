"""AS2 station keys for the sandbox: a private key and a self-signed certificate per station,
made once under the sandbox's folder (var/sandbox/as2/) and kept, so both stations trust the
same certificates across restarts."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

VALID = timedelta(days=3650)


def key_paths(folder: Path, name: str) -> tuple[Path, Path]:
    return folder / f"{name}.key.pem", folder / f"{name}.cert.pem"


def ensure_station_keys(folder: Path, name: str) -> tuple[Path, Path]:
    """The station's key and certificate files, made when missing (RSA 2048, SHA-256)."""
    key_path, cert_path = key_paths(folder, name)
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + VALID)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def ensure_sandbox_keys(sandbox_dir: Path) -> dict[str, tuple[Path, Path]]:
    """Both stations of the sandbox: Orderbridge's own (as default.yaml names it) and the
    retailer's."""
    folder = sandbox_dir / "as2"
    return {name: ensure_station_keys(folder, name) for name in ("orderbridge", "beacon")}
