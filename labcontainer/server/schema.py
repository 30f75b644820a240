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
#: The largest request body read (bytes): the biggest real form is a few hundred bytes, and
#: what is accepted is written to disk and served to every listing (a kernelspec).
MAX_BODY_BYTES = 64 * 1024
#: The deepest nesting a body may have; real bodies have 2 levels (an object of lists).
MAX_DEPTH = 8
#: Any one string, list or object in a body (fields may say less in rest_schema.json).
MAX_STRING, MAX_ITEMS = 4096, 128


class BodyTooLarge(InvalidSpec):
    """A request body over MAX_BODY_BYTES: 413, with the kind of any malformed body."""

    http_status = 413

    @property
    def kind(self) -> str:
        return "InvalidSpec"


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
    """A request body checked against ``definitions/<definition>``; raises InvalidSpec
    (BodyTooLarge, 413, over MAX_BODY_BYTES)."""
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"The request body is {len(raw)} bytes long; the limit is {MAX_BODY_BYTES}.")
    try:
        data = json.loads(raw or b"{}")
    except RecursionError:  # the C parser's recursion limit: thousands of nested [ or {
        raise InvalidSpec(f"The request body is nested too deeply (more than {MAX_DEPTH} levels).") from None
    except ValueError:
        raise InvalidSpec("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidSpec("The request body must be a JSON object.")
    _check_shape(data)  # before the validator, which recurses too
    errors = sorted(_validator(definition).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        raise InvalidSpec(_describe(errors[0], definition))
    return data


def _check_shape(data: Any) -> None:
    """Refuse bodies nested deeper than MAX_DEPTH, or with a string, list or object over the
    limits, naming the field (a loop, not recursion: the body may be hostile)."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        item, where, level = stack.pop()
        if level > MAX_DEPTH:
            raise InvalidSpec(f"The request body is nested too deeply (more than {MAX_DEPTH} levels).")
        if isinstance(item, str) and len(item) > MAX_STRING:
            raise InvalidSpec(f"Field '{where}' is too long: at most {MAX_STRING} characters.")
        if isinstance(item, (dict, list)) and len(item) > MAX_ITEMS:
            raise InvalidSpec(f"Field '{where or 'body'}' has too many entries: at most {MAX_ITEMS}.")
        pairs = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, child in pairs:
            if isinstance(key, str) and len(key) > MAX_STRING:
                raise InvalidSpec(f"A key in field '{where or 'body'}' is too long: at most {MAX_STRING} characters.")
            stack.append((child, f"{where}.{key}" if where else str(key), level + 1))


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
    if error.validator == "maxLength":
        return f"Field '{where}' is too long: at most {error.validator_value} characters."
    if error.validator in ("maxItems", "maxProperties"):
        return f"Field '{where}' has too many entries: at most {error.validator_value}."
    return f"Field '{where or definition}' is not valid: {error.message}."


def _a(kind: Any) -> str:
    names = {"string": "a string", "array": "a list", "object": "an object", "integer": "a whole number", "number": "a number", "boolean": "true or false"}
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(names.get(k, k) for k in kinds)
