"""Tracing for support: every call to an external system written to a folder, secrets masked.

SOAP systems get `<system>-<seq>-request.xml`, `-response.xml` and `-meta.json`; the others
`<system>-<seq>-request.json` and `-response.json`. Sequence numbers are unique within the
folder across processes (a counter file under an exclusive lock). WSDL and schema downloads
(GETs to SOAP systems) are not traced.
"""

from __future__ import annotations

import fcntl
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import requests

from core import http

SOAP_SYSTEMS = frozenset({"netsuite", "sap"})
MASK = "***"
# Keys whose values are secrets wherever they appear: headers, JSON bodies, form bodies.
SECRET_KEY = re.compile(
    r"(authorization|password|passwd|secret|token|api[-_]?key|apikey|signature|"
    r"assertion|cookie|session[-_]?id|sessionid|client_assertion)",
    re.IGNORECASE,
)
# XML elements whose text is a secret (NetSuite tokenPassport, SAP and login passwords).
_XML_SECRET = re.compile(
    r"(<(?:[\w.-]+:)?(signature|password|token|tokenId|consumerKey|sessionId|"
    r"passwordHash)\b[^>]*>)([^<]*)(</)",
    re.IGNORECASE,
)


# Named like secrets but describing them: kept, so a trace still says what kind of token it was.
NOT_SECRET = frozenset({"token_type", "tokentype", "issued_token_type"})


def is_secret_key(key: str) -> bool:
    return bool(SECRET_KEY.search(key)) and key.lower() not in NOT_SECRET


def mask_headers(headers: Any) -> dict[str, str]:
    return {k.lower(): (MASK if is_secret_key(k) else str(v)) for k, v in headers.items()}


def mask_data(value: Any) -> Any:
    """A copy with every secret-named key's value replaced, keeping the shape."""
    if isinstance(value, dict):
        return {
            k: (MASK if isinstance(k, str) and is_secret_key(k) and v is not None else mask_data(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_data(v) for v in value]
    return value


def mask_xml(text: str) -> str:
    return _XML_SECRET.sub(lambda m: f"{m.group(1)}{MASK}{m.group(4)}", text)


def _body(raw: bytes | str | None, content_type: str) -> Any:
    if raw is None or raw == b"" or raw == "":
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            return mask_data(json.loads(text))
        except ValueError:
            pass
    if "x-www-form-urlencoded" in content_type:
        return mask_data(dict(parse_qsl(text, keep_blank_values=True)))
    return mask_xml(text)


class Tracer:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def next_seq(self) -> int:
        with open(self.directory / ".seq", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            seq = int(handle.read().strip() or 0) + 1
            handle.seek(0)
            handle.truncate()
            handle.write(str(seq))
        return seq

    def record(self, system: str, response: requests.Response) -> None:
        request = response.request
        if system in SOAP_SYSTEMS and request.method == "GET":
            return
        base = self.directory / f"{system}-{self.next_seq():06d}"
        if system in SOAP_SYSTEMS:
            self._write_soap(base, request, response)
        else:
            self._write_json(base, request, response)

    @staticmethod
    def _write_soap(base: Path, request: Any, response: requests.Response) -> None:
        body = (
            request.body.decode("utf-8", "replace")
            if isinstance(request.body, bytes)
            else (request.body or "")
        )
        Path(f"{base}-request.xml").write_text(mask_xml(body), encoding="utf-8")
        Path(f"{base}-response.xml").write_text(mask_xml(response.text), encoding="utf-8")
        meta = {
            "method": request.method,
            "url": request.url,
            "status": response.status_code,
            "headers": mask_headers(response.headers),
        }
        Path(f"{base}-meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @staticmethod
    def _write_json(base: Path, request: Any, response: requests.Response) -> None:
        req = {
            "method": request.method,
            "url": request.url,
            "headers": mask_headers(request.headers),
            "body": _body(request.body, request.headers.get("Content-Type", "")),
        }
        res = {
            "status": response.status_code,
            "headers": mask_headers(response.headers),
            "body": _body(response.content, response.headers.get("Content-Type", "")),
        }
        Path(f"{base}-request.json").write_text(json.dumps(req, indent=2), encoding="utf-8")
        Path(f"{base}-response.json").write_text(json.dumps(res, indent=2), encoding="utf-8")


def install_tracing(directory: str | Path | None) -> Tracer | None:
    """Trace every session made by core.http from now on (None: tracing stays off)."""
    if not directory:
        return None
    tracer = Tracer(directory)

    def hook(session: requests.Session, system: str) -> None:
        def on_response(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            tracer.record(system, response)

        session.hooks["response"].append(on_response)

    http.add_session_hook(hook)
    return tracer
