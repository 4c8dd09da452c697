"""Records of the simulated org on SandboxState: upsert by External ID, update by Id, lookups.

Writes behave as Salesforce's do for one record: fields are merged into the stored record,
relationships given by a parent's External ID are resolved (a missing parent rejects the
record), required fields and field types are checked, and each record fails alone with
Salesforce's status codes. A field the object does not have refuses the whole request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.salesforce.schema import (
    EXTERNAL_ID,
    OBJECTS,
    RELATIONSHIPS,
    SYSTEM,
    SYSTEM_FIELDS,
    BadValue,
    coerce,
    internal_of,
    record_id,
)
from sandbox.state import SandboxState

META_KEYS = ("internal_id", "external_id", "modified_at")
MAX_TEXT = 255


class RequestError(Exception):
    """The whole request is refused (HTTP status and Salesforce error code)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> list[dict[str, str]]:
        return [{"message": self.message, "errorCode": self.code}]


@dataclass
class Outcome:
    """One record's SaveResult / UpsertResult."""

    ok: bool
    id: str | None = None
    created: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {"success": self.ok, "errors": self.errors}
        if self.id:
            result["id"] = self.id
        if self.ok:
            result["created"] = self.created
        return result

    def error_text(self) -> str:
        """Bulk API form: 'CODE:message:fields --'."""
        first = self.errors[0]
        return f"{first['statusCode']}:{first['message']}:{','.join(first['fields'])} --"


def error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"statusCode": code, "message": message, "fields": fields or []}


def payload_of(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in META_KEYS}


class Store:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    # ------------------------------------------------------------ lookups

    def by_external_id(self, sobject: str, value: str) -> dict[str, Any] | None:
        record = self.state.get_record(SYSTEM, sobject, value)
        return record if record is not None and record["external_id"] == value else None

    def by_id(self, sf_id: str) -> tuple[str, dict[str, Any]] | None:
        found = internal_of(sf_id or "")
        if found is None:
            return None
        sobject, internal = found
        record = self.state.get_record(SYSTEM, sobject, internal)
        if record is None or record["internal_id"] != internal:
            return None
        return sobject, record

    def all(self, sobject: str) -> list[dict[str, Any]]:
        return self.state.find_records(SYSTEM, sobject)

    # ------------------------------------------------------------ writes

    def check_external_field(self, sobject: str, ext_field: str) -> None:
        if sobject not in OBJECTS:
            raise RequestError(
                404, "NOT_FOUND", f"The requested resource does not exist: {sobject}"
            )
        if ext_field != EXTERNAL_ID:
            raise RequestError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {ext_field}",
            )

    def upsert(
        self, sobject: str, ext_field: str, values: dict[str, Any], *, from_text: bool = False
    ) -> Outcome:
        self.check_external_field(sobject, ext_field)
        fields, errors = self.prepare(sobject, values, from_text=from_text)
        key = fields.get(ext_field)
        if not key:
            return Outcome(
                False,
                errors=[
                    error(
                        "REQUIRED_FIELD_MISSING",
                        f"Required fields are missing: [{ext_field}]",
                        [ext_field],
                    )
                ],
            )
        existing = self.by_external_id(sobject, key)
        return self._save(sobject, key, existing, fields, errors)

    def update(self, values: dict[str, Any], *, from_text: bool = False) -> Outcome:
        found = self.by_id(str(values.get("Id") or ""))
        if found is None:
            return Outcome(
                False,
                errors=[error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["Id"])],
            )
        sobject, existing = found
        fields, errors = self.prepare(sobject, values, from_text=from_text)
        return self._save(sobject, existing["external_id"], existing, fields, errors)

    def _save(
        self,
        sobject: str,
        key: str | None,
        existing: dict[str, Any] | None,
        fields: dict[str, Any],
        errors: list[dict[str, Any]],
    ) -> Outcome:
        merged = {**(payload_of(existing) if existing else {}), **fields}
        missing = [name for name in OBJECTS[sobject].required if merged.get(name) in (None, "")]
        if missing:
            errors.append(
                error("REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}", missing)
            )
        if errors:
            return Outcome(False, errors=errors[:1])
        if existing is None and sobject == "Order" and not merged.get("OrderNumber"):
            merged["OrderNumber"] = self._next_order_number()
        internal = self.state.put_record(
            SYSTEM, sobject, key, merged, internal_id=existing["internal_id"] if existing else None
        )
        return Outcome(True, record_id(sobject, internal), created=existing is None)

    def _next_order_number(self) -> str:
        number = int(self.state.meta_get(SYSTEM, "order_number", 0)) + 1
        self.state.meta_set(SYSTEM, "order_number", number)
        return f"{number:08d}"

    # ------------------------------------------------------------ field values

    def prepare(
        self, sobject: str, values: dict[str, Any], *, from_text: bool
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Typed fields with relationships resolved, and the record's own errors. A field the
        object lacks raises RequestError (the whole request is refused)."""
        spec = OBJECTS[sobject]
        fields: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for name, value in values.items():
            if name in ("attributes", "Id"):
                continue
            if from_text and value == "":
                continue  # Bulk API: an empty cell leaves the field as it is
            if from_text and value == "#N/A":
                value = None
            relation, _, target_field = name.partition(".")
            if isinstance(value, dict) or target_field:
                self._relate(spec.name, relation, target_field, value, fields, errors)
                continue
            if name not in spec.fields:
                if name in spec.read_only or name in SYSTEM_FIELDS:
                    errors.append(
                        error(
                            "INVALID_FIELD_FOR_INSERT_UPDATE",
                            f"Unable to create/update fields: {name}.",
                            [name],
                        )
                    )
                    continue
                raise RequestError(
                    400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}"
                )
            try:
                fields[name] = coerce(spec.fields[name], value, from_text=from_text)
            except BadValue:
                if not from_text:
                    raise RequestError(
                        400,
                        "JSON_PARSER_ERROR",
                        f"Cannot deserialize instance of {spec.fields[name]} from {value!r} "
                        f"for field {name}",
                    ) from None
                errors.append(
                    error(
                        "INVALID_TYPE_ON_FIELD_IN_RECORD",
                        f"{name}: value not of required type: {value}",
                        [name],
                    )
                )
                continue
            if isinstance(fields[name], str) and len(fields[name]) > MAX_TEXT:
                errors.append(
                    error(
                        "STRING_TOO_LONG",
                        f"{name}: data value too large: {fields[name][:20]}... (max length=255)",
                        [name],
                    )
                )
        return fields, errors

    def _relate(
        self,
        sobject: str,
        relation: str,
        target_field: str,
        value: Any,
        fields: dict[str, Any],
        errors: list[dict[str, Any]],
    ) -> None:
        link = RELATIONSHIPS.get(relation)
        if link is None or link[0] not in OBJECTS[sobject].fields:
            raise RequestError(
                400, "INVALID_FIELD", f"No such column '{relation}' on sobject of type {sobject}"
            )
        id_field, target = link
        if isinstance(value, dict):
            pairs = [(k, v) for k, v in value.items() if k != "attributes"]
            target_field, value = pairs[0] if len(pairs) == 1 else ("", None)
        if target_field != EXTERNAL_ID:
            raise RequestError(
                400,
                "INVALID_FIELD",
                f"Field {target_field} is not an External ID on {target}",
            )
        if value in (None, ""):
            fields[id_field] = None
            return
        parent = self.by_external_id(target, str(value))
        if parent is None:
            errors.append(
                error(
                    "INVALID_FIELD",
                    f"Foreign key external ID: {value} not found for field {EXTERNAL_ID} in "
                    f"entity {target}",
                    [id_field],
                )
            )
            return
        fields[id_field] = record_id(target, parent["internal_id"])
