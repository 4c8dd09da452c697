"""The WSDL bundle: fetched once per endpoint version into the data folder, then read from disk.

`fetch_wsdl` downloads the WSDL and every schema it imports, transitively, from NetSuite's
hosts only, rewrites each schemaLocation to a local relative path (xsd/<folder>.<name>.xsd)
and moves the finished bundle into place in one rename, so a process never sees half of it.
zeep then loads it with forbid_external on: nothing is fetched at load time.
"""

from __future__ import annotations

import fcntl
import logging
import re
import shutil
import tempfile
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlparse

from lxml import etree

from connectors.netsuite.replies import safe_parser
from core import http
from core.errors import ConfigError, TransientError

log = logging.getLogger(__name__)
SYSTEM = "netsuite"
WSDL_HOST = "webservices.netsuite.com"
XS = "http://www.w3.org/2001/XMLSchema"
_VERSION = re.compile(r"^\d{1,4}_\d$")
_XSD_PATH = re.compile(r"^/xsd/(?P<folder>[A-Za-z]+)/v[\d_]+/(?P<name>[A-Za-z]+)\.xsd$")


def check_version(version: str) -> str:
    if not _VERSION.match(str(version)):
        raise ConfigError(
            f"{version!r} is not an endpoint version",
            system=SYSTEM,
            key="netsuite.wsdl_version",
            hint="write it like 2025_2",
        )
    return str(version)


def wsdl_url(version: str) -> str:
    return f"https://{WSDL_HOST}/wsdl/v{version}_0/netsuite.wsdl"


def bundle_dir(data_path: Path, version: str) -> Path:
    return Path(data_path) / "netsuite" / "wsdl" / f"v{check_version(version)}"


def bundle_path(data_path: Path, version: str) -> Path:
    return bundle_dir(data_path, version) / "netsuite.wsdl"


def _allowed(url: str) -> bool:
    parts = urlparse(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "netsuite.com" or host.endswith(".netsuite.com"))


def _local_name(url: str) -> str:
    match = _XSD_PATH.match(urlparse(url).path)
    if not match:
        raise ConfigError(f"unexpected schema location {url}", system=SYSTEM, key="wsdl")
    return f"{match['folder']}.{match['name']}.xsd"


def _download(session, url: str) -> bytes:
    try:
        response = session.get(url)
    except OSError as exc:  # requests' errors are OSErrors
        raise TransientError(
            f"cannot download {url}: {type(exc).__name__}",
            system=SYSTEM,
            key="wsdl",
            hint="check the network; the bundle is fetched once per version",
        ) from None
    if response.status_code == 404:
        raise ConfigError(
            f"NetSuite has no WSDL at {url}",
            system=SYSTEM,
            key="netsuite.wsdl_version",
            hint="use a published endpoint version such as 2025_2",
        )
    if response.status_code != 200:
        raise TransientError(f"HTTP {response.status_code} for {url}", system=SYSTEM, key="wsdl")
    return response.content


def _parse(content: bytes, url: str) -> etree._Element:
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise ConfigError(f"{url} carries a DOCTYPE; refused", system=SYSTEM, key="wsdl")
    try:
        return etree.fromstring(content, safe_parser())
    except etree.XMLSyntaxError:
        raise TransientError(f"{url} is not well-formed XML", system=SYSTEM, key="wsdl") from None


def _rewrite(root: etree._Element, base: str, prefix: str, queue: deque, seen: set) -> None:
    for node in root.iter(f"{{{XS}}}import", f"{{{XS}}}include"):
        location = node.get("schemaLocation")
        if not location:
            continue
        absolute = urljoin(base, location)
        if not _allowed(absolute):
            raise ConfigError(
                f"the bundle imports {absolute}, outside NetSuite's hosts; refused",
                system=SYSTEM,
                key="wsdl",
            )
        name = _local_name(absolute)
        node.set("schemaLocation", prefix + name)
        if name not in seen:
            seen.add(name)
            queue.append((absolute, name))


def download_bundle(session, version: str, target: Path) -> Path:
    """Fetch the WSDL and its schemas into target (a fresh folder); the WSDL's path."""
    url = wsdl_url(version)
    root = _parse(_download(session, url), url)
    queue: deque[tuple[str, str]] = deque()
    seen: set[str] = set()
    _rewrite(root, url, "xsd/", queue, seen)
    (target / "xsd").mkdir(parents=True, exist_ok=True)
    while queue:
        schema_url, name = queue.popleft()
        schema = _parse(_download(session, schema_url), schema_url)
        _rewrite(schema, schema_url, "", queue, seen)
        (target / "xsd" / name).write_bytes(
            etree.tostring(schema, xml_declaration=True, encoding="UTF-8")
        )
    path = target / "netsuite.wsdl"
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    return path


def fetch_wsdl(
    data_path: Path, version: str, timeout: float = 30.0, *, force: bool = False
) -> Path:
    """The local WSDL of this version, downloading the bundle first if it is not there yet."""
    final = bundle_dir(data_path, version)
    if (final / "netsuite.wsdl").exists() and not force:
        return final / "netsuite.wsdl"
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(final.parent / f".v{version}.lock", "w") as lock:
        # One process downloads; the others wait here and then find the bundle in place.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / "netsuite.wsdl").exists() and not force:
            return final / "netsuite.wsdl"
        staging = Path(tempfile.mkdtemp(prefix=f".v{version}-", dir=final.parent))
        try:
            download_bundle(http.new_session(SYSTEM, timeout), version, staging)
            if final.exists():
                shutil.rmtree(final)
            staging.rename(final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    log.info("netsuite: WSDL %s bundle stored in %s", version, final)
    return final / "netsuite.wsdl"
