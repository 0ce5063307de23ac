"""``response_format``, tagged on ``"type"``: ``text``, ``json_object`` and ``json_schema``.

``json_object`` may carry a ``schema`` (the Fireworks/Novita/Together style); ``json_schema`` is OpenAI's
structured outputs.

Other types (vLLM's ``structural_tag``) fail the tag check and are refused by name.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

SchemaName = Annotated[str, msgspec.Meta(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]


class ResponseFormatText(msgspec.Struct, tag_field="type", tag="text"):
    """Free text: no constraint."""


class ResponseFormatJsonObject(msgspec.Struct, tag_field="type", tag="json_object"):
    """Any JSON object, or one valid against ``schema`` when given (vendor extension)."""

    schema: dict[str, Any] | None = None


class JsonSchemaSpec(msgspec.Struct):
    """OpenAI's ``json_schema`` object.

    ``strict`` is accepted and recorded; this server always constrains to the schema exactly, or refuses the
    schema with a 400 naming the unsupported keyword. An absent ``schema`` means any JSON object, as with
    ``json_object``.
    """

    name: SchemaName
    schema: dict[str, Any] | None = None
    strict: bool | None = None
    description: str | None = None


class ResponseFormatJsonSchema(msgspec.Struct, tag_field="type", tag="json_schema"):
    """``{"type": "json_schema", "json_schema": {"name", "schema", "strict", "description"}}``."""

    json_schema: JsonSchemaSpec


ResponseFormat = ResponseFormatText | ResponseFormatJsonObject | ResponseFormatJsonSchema

RESPONSE_FORMAT_TYPES = ("text", "json_object", "json_schema")


def response_format_constrains(fmt: ResponseFormat | None) -> bool:
    """True when ``fmt`` restricts the output (anything but absent or ``text``)."""
    return fmt is not None and not isinstance(fmt, ResponseFormatText)
