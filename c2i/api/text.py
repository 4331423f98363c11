"""Text parameters of the API with the limits and character rule of the pages
(`c2i.lib.text`): a string longer than its limit, or holding an invisible
control character (U+202E …), is refused with a 422 whose message, in the
request's language, names the parameter (its `loc` names it too); OpenAPI
states the limit (`maxLength`).

    lieu: Annotated[str, Line(80)] = ""
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationInfo
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from c2i.lib import text


@dataclass(frozen=True)
class Line:
    max_length: int = text.LINE_MAX_LENGTH

    def check(self, value: str, info: ValidationInfo) -> str:
        field = info.field_name or ""
        try:
            text.reject_too_long(value, self.max_length, field)
            text.reject_control_characters(value, field)
        except ValidationError as error:
            raise PydanticCustomError(str(error.code), "{message}", {"message": error.messages[0]}) from error
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["maxLength"] = self.max_length
        return json_schema
