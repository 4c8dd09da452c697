"""Find the carriers' OpenAPI response schema for a reply and validate the reply against it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator

from tests.connectors.carriers.reference_files import load_spec

# system -> (method, our path pattern, spec file, the spec's path)
OPERATIONS = {
    "ups": (
        (
            "POST",
            r"/security/v1/oauth/token",
            "ups/OAuthClientCredentials.yaml",
            "/security/v1/oauth/token",
        ),
        (
            "GET",
            r"/api/track/v1/details/[^/]+",
            "ups/Tracking.yaml",
            "/track/v1/details/{inquiryNumber}",
        ),
        (
            "POST",
            r"/api/rating/[^/]+/[^/]+",
            "ups/Rating.yaml",
            "/rating/{version}/{requestoption}",
        ),
    ),
    "fedex": (
        ("POST", r"/oauth/token", "fedex/APIAuthorization-Resource.json", "/oauth/token"),
        (
            "POST",
            r"/track/v1/trackingnumbers",
            "fedex/TrackingNumbers-Resource.json",
            "/track/v1/trackingnumbers",
        ),
        (
            "POST",
            r"/rate/v1/rates/quotes",
            "fedex/RateQuotes-Resource.json",
            "/rate/v1/rates/quotes",
        ),
    ),
    "dhl": (("GET", r"/track/shipments", "dhl/utapi-traking-api-1.4.1.yaml", "/shipments"),),
}
# Replies a spec leaves out of the operation but defines elsewhere: UPS answers a dead token on
# Track with the OAuth spec's error body; DHL's spec defines its 401 among its responses.
UNDECLARED = {
    ("ups", 401): (
        "ups/OAuthClientCredentials.yaml",
        ("paths", "/security/v1/oauth/token", "post", "responses", "401"),
    ),
    ("dhl", 401): (
        "dhl/utapi-traking-api-1.4.1.yaml",
        ("components", "responses", "unauthorizedError"),
    ),
}


@cache
def _spec(path: str) -> dict[str, Any]:
    return load_spec(Path(path))


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _dig(spec: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = spec
    for part in path:
        node = _resolve(spec, node)[part]
    return _resolve(spec, node)


def response_schema(
    reference: Path, system: str, method: str, path: str, status: int, content_type: str
):
    """(schema, spec) of this reply, or None when the spec does not describe it."""
    matching = [
        (file, spec_path)
        for op_method, pattern, file, spec_path in OPERATIONS[system]
        if op_method == method and re.fullmatch(pattern, path)
    ]
    if not matching:
        return None
    file, spec_path = matching[0]
    spec = _spec(str(reference / "carriers" / file))
    responses = _dig(spec, ("paths", spec_path, method.lower(), "responses"))
    if str(status) in responses:
        response = _resolve(spec, responses[str(status)])
    elif (system, status) in UNDECLARED:
        file, where = UNDECLARED[(system, status)]
        spec = _spec(str(reference / "carriers" / file))
        response = _dig(spec, where)
    else:
        return None
    content = response.get("content") or {}
    media = content.get(content_type.split(";")[0].strip()) or next(iter(content.values()), None)
    return (media["schema"], spec) if media else None


def validate(schema: dict[str, Any], spec: dict[str, Any], body: Any) -> list[str]:
    """Every way body breaks the schema (refs resolve against the spec's components)."""
    root = {**schema, "components": spec.get("components", {})}
    validator = OAS30Validator(root)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)
    ]
