"""The REST contract, written once: ``rest_schema.json`` (JSON Schema, draft-07).

The side panel's TypeScript types are generated from the same file
(``labextension/scripts/generate-types.mjs``; CI fails when they disagree), and the
handlers validate request bodies against it here, so a field means the same thing on
both sides. Messages name the field at fault, in one paragraph.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from ..core.errors import InvalidSpec

SCHEMA_FILE = Path(__file__).with_name("rest_schema.json")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text())


@lru_cache(maxsize=None)
def _validator(definition: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(schema()["definitions"][definition])


def fields_of(definition: str) -> tuple[str, ...]:
    """The property names a definition allows (e.g. a request body's fields)."""
    return tuple(schema()["definitions"][definition]["properties"])


def parse_body(definition: str, raw: bytes | None) -> dict[str, Any]:
    """A request body checked against ``definitions/<definition>``; raises InvalidSpec."""
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise InvalidSpec("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidSpec("The request body must be a JSON object.")
    errors = sorted(_validator(definition).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        raise InvalidSpec(_describe(errors[0], definition))
    return data


def _describe(error: jsonschema.ValidationError, definition: str) -> str:
    where = ".".join(str(p) for p in error.path)
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(fields_of(definition)))
        return f"Unknown field(s) {', '.join(unknown)}. Known fields: {', '.join(fields_of(definition))}."
    if error.validator == "required":
        return f"{error.message.split(' ')[0].strip(chr(39))!s}: this field is required."
    if error.validator == "type":
        return f"Field '{where}' has the wrong type: it must be {_a(error.validator_value)}."
    if error.validator == "enum":
        return f"Field '{where}' must be one of: {', '.join(map(str, error.validator_value))}."
    if error.validator == "minLength":
        return f"Field '{where}' must not be empty."
    return f"Field '{where or definition}' is not valid: {error.message}."


def _a(kind: Any) -> str:
    names = {"string": "a string", "array": "a list", "object": "an object", "integer": "a whole number", "number": "a number", "boolean": "true or false"}
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(names.get(k, k) for k in kinds)
