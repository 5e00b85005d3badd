"""Base classes the generated models build on (handwritten)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

if TYPE_CHECKING:  # imported when a model with body rules first checks them (about 3 MB: most tools have none)
    import jsonschema


class SpecModel(BaseModel):
    """Treats an explicit null on a field the spec does not mark nullable as "not given".

    Agents often send null for optional arguments; forwarding it would make the API reject
    the call, so it is dropped instead.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, regex_engine="rust-regex")
    nullable_fields: ClassVar[frozenset[str]] = frozenset()
    min_properties: ClassVar[int] = 0
    required_any: ClassVar[tuple[tuple[str, ...], ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        """A null on an unknown name is kept, so that the name is still reported as unknown."""
        if isinstance(data, dict):
            known = _field_names(cls)
            data = {k: v for k, v in data.items() if v is not None or k in cls.nullable_fields or k not in known}
            for name, annotation in _number_literals(cls).items():
                value = data.get(name)
                if isinstance(value, (bool, list, dict)) and _bool_for_number(annotation, value):
                    raise ValueError(f"{name}: true/false is not one of the numbers this field takes")
        return data

    @model_validator(mode="after")
    def _check_min_properties(self) -> SpecModel:
        if len(self.model_fields_set) < self.min_properties:
            names = ", ".join(f.alias or name for name, f in type(self).model_fields.items())
            raise ValueError(f"give at least {self.min_properties} of: {names}")
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        """An optional field is typed `X | None` for its None default, yet null is accepted only where
        the spec allows it (`nullable_fields`), so only there does the schema agents see show null."""
        json_schema = handler(schema)
        properties = handler.resolve_ref_schema(json_schema).get("properties", {})
        for name, field in cls.model_fields.items():
            if field.is_required() or field.default is not None or (field.alias or name) in cls.nullable_fields:
                continue
            for key in {name, field.alias} & properties.keys():
                properties[key] = _without_null(properties[key], handler)
        return json_schema

    @model_validator(mode="after")
    def _check_required_any(self) -> SpecModel:
        """One of several sets of fields must be given (a location by city, state or country)."""
        if not self.required_any:
            return self
        given = set(self.wire())
        if not any(set(names) <= given for names in self.required_any):
            raise ValueError("give one of: " + "; ".join(" + ".join(names) for names in self.required_any))
        return self

    def wire(self) -> dict[str, Any]:
        """The fields the caller gave, by their API names, JSON-ready."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class ToolInput(SpecModel):
    """One operation's arguments: path, query and body fields side by side.

    Constraints on the body as a whole (at least one field, one of two alternatives, if/then
    rules) cannot be written in a flat schema, so they are kept as `body_rules` and checked here.
    """

    body_fields: ClassVar[frozenset[str]] = frozenset()
    body_rules: ClassVar[dict[str, Any] | None] = None
    body_rule_text: ClassVar[str] = ""

    @model_validator(mode="after")
    def _check_body_rules(self) -> ToolInput:
        if not self.body_rules:
            return self
        from jsonschema.exceptions import best_match

        body = {k: v for k, v in self.wire().items() if k in self.body_fields}
        error = best_match(_validator(type(self)).iter_errors(body))
        if error is not None:
            rule = self.body_rule_text or "The arguments break a rule of this operation."
            raise ValueError(f"{rule} Body fields: {', '.join(sorted(self.body_fields))}. ({_rule_detail(error)})")
        return self


def _without_null(schema: dict[str, Any], handler: GetJsonSchemaHandler) -> dict[str, Any]:
    if None in schema.get("enum", ()):
        rest = {k: v for k, v in schema.items() if k != "enum"}
        return {**handler(core_schema.literal_schema([v for v in schema["enum"] if v is not None])), **rest}
    branches = schema.get("anyOf", [])
    kept = [b for b in branches if b != {"type": "null"}]
    if len(kept) == len(branches):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept[0], **rest} if len(kept) == 1 else {**rest, "anyOf": kept}


def _rule_detail(error: jsonschema.ValidationError) -> str:
    """The broken rule's own message, with the full path of a field it finds missing."""
    missing = re.fullmatch(r"'(.+)' is a required property", error.message)
    if error.validator != "required" or missing is None:
        return error.message
    path = "".join(f"{step}." for step in error.absolute_path)
    return f"{path}{missing.group(1)} is required"


@cache
def _validator(model: type[ToolInput]) -> jsonschema.protocols.Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(model.body_rules or {})


def _checked(valid: Callable[[str], bool], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not valid(value):
            raise ValueError(f"must be {what}")
        return value

    return check


def _formatted(name: str, valid: Callable[[str], bool], what: str) -> Any:
    """A string the API checks against a JSON Schema format; checked here first, so a bad value
    fails with a clear message before anything is sent. Every check runs in linear time (no
    backtracking regex), so a 100,000-character value costs microseconds, not minutes."""
    return Annotated[str, AfterValidator(_checked(valid, what)), WithJsonSchema({"type": "string", "format": name})]


def _no_space(value: str) -> bool:
    return value.split() == [value]


def is_email(value: str) -> bool:
    """local@domain.tld: one @, no whitespace, a dot inside the domain (not first or last)."""
    local, at, domain = value.partition("@")
    return bool(local) and bool(at) and "@" not in domain and "." in domain[1:-1] and _no_space(value)


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
MAX_DATE_TIME_CHARS = 64  # 2026-01-31T09:00:00.123456789+01:00 is 35


def is_date(value: str) -> bool:
    return len(value) == 10 and _DATE.fullmatch(value) is not None


def is_date_time(value: str) -> bool:
    return len(value) <= MAX_DATE_TIME_CHARS and _DATE_TIME.fullmatch(value) is not None


def is_uri(value: str) -> bool:
    """scheme:rest, where rest is not empty and has no whitespace."""
    scheme, colon, rest = value.partition(":")
    return bool(colon) and bool(rest) and _SCHEME.fullmatch(scheme) is not None and _no_space(rest)


EmailAddress = _formatted("email", is_email, "an email address such as jane@example.com")
DateTime = _formatted(
    "date-time",
    is_date_time,
    "an ISO 8601 date-time such as 2026-01-31T09:00:00Z (work out words like 'yesterday' into one first)",
)
Date = _formatted(
    "date", is_date, "a date as YYYY-MM-DD such as 2026-01-31 (work out words like 'last week' into dates first)"
)
DateOrDateTime = Annotated[
    str,
    AfterValidator(
        _checked(
            lambda v: is_date(v) or is_date_time(v),
            "a date as YYYY-MM-DD (read as UTC midnight) or an ISO 8601 date-time such as 2026-01-31T23:59:59Z "
            "(work out words like 'last week' into dates first)",
        )
    ),
    WithJsonSchema({"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}),
]
Uri = _formatted("uri", is_uri, "an absolute URI such as https://example.com/hook")
Number = Annotated[float, PlainSerializer(lambda v: int(v) if float(v).is_integer() else v, when_used="json")]
"""JSON Schema "number": accepts 5 or 5.5 and sends 5 back as 5, not 5.0."""

FORMATS = {
    "email": "EmailAddress",
    "date-time": "DateTime",
    "date": "Date",
    "date|date-time": "DateOrDateTime",
    "uri": "Uri",
}


@cache
def _field_names(model: type[BaseModel]) -> frozenset[str]:
    """Every name a field may be given by: its Python name and its alias."""
    return frozenset(n for name, f in model.model_fields.items() for n in (name, f.alias) if n)


@cache
def _annotations(model: type[BaseModel]) -> dict[str, Any]:
    """Each field's type, by name and by alias."""
    return {n: f.annotation for name, f in model.model_fields.items() for n in (name, f.alias) if n}


@cache
def _number_literals(model: type[BaseModel]) -> dict[str, Any]:
    """The fields (by name and alias) whose type holds a Literal without true/false: the only ones
    `_bool_for_number` can refuse a value of, so the only ones checked; decided once per model."""
    return {name: annotation for name, annotation in _annotations(model).items() if _has_number_literal(annotation)}


def _has_number_literal(annotation: Any) -> bool:
    """Whether `_bool_for_number` can be true for some value of this type."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return not any(isinstance(a, bool) for a in args)
    if origin is Annotated:
        return _has_number_literal(args[0])
    if origin in (Union, UnionType, list, set, frozenset, tuple) or (origin is dict and len(args) == 2):
        return any(_has_number_literal(a) for a in args)
    return False


def _bool_for_number(annotation: Any, value: Any) -> bool:
    """Whether `value` holds a bool where the type wants one of a Literal's numbers: pydantic lets
    true match Literal[1, 2] (true == 1), even in strict mode, and would send 1."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _bool_for_number(args[0], value)
    if origin in (Union, UnionType):
        if isinstance(value, bool) and any(a in (bool, Any) for a in args):
            return False
        return any(_bool_for_number(a, value) for a in args)
    if origin is Literal:
        return isinstance(value, bool) and not any(isinstance(a, bool) for a in args)
    if origin in (list, set, frozenset, tuple) and isinstance(value, list) and args:
        return any(_bool_for_number(args[0], item) for item in value)
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return any(_bool_for_number(args[1], item) for item in value.values())
    return False
