"""Base classes the generated models build on (handwritten)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import jsonschema
from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer, WithJsonSchema, model_validator


class SpecModel(BaseModel):
    """Treats an explicit null on a field the spec does not mark nullable as "not given".

    Agents often send null for optional arguments; forwarding it would make the API reject
    the call, so it is dropped instead.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, regex_engine="python-re")
    nullable_fields: ClassVar[frozenset[str]] = frozenset()
    min_properties: ClassVar[int] = 0

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: Any) -> Any:
        """A null on an unknown name is kept, so that the name is still reported as unknown."""
        if isinstance(data, dict):
            known = _field_names(cls)
            data = {k: v for k, v in data.items() if v is not None or k in cls.nullable_fields or k not in known}
            for name, annotation in _annotations(cls).items():
                if name in data and _bool_for_number(annotation, data[name]):
                    raise ValueError(f"{name}: true/false is not one of the numbers this field takes")
        return data

    @model_validator(mode="after")
    def _check_min_properties(self) -> SpecModel:
        if len(self.model_fields_set) < self.min_properties:
            names = ", ".join(type(self).model_fields)
            raise ValueError(f"give at least {self.min_properties} of: {names}")
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
        body = {k: v for k, v in self.wire().items() if k in self.body_fields}
        error = jsonschema.exceptions.best_match(_validator(type(self)).iter_errors(body))
        if error is not None:
            rule = self.body_rule_text or "The arguments break a rule of this operation."
            raise ValueError(f"{rule} Body fields: {', '.join(sorted(self.body_fields))}. ({error.message})")
        return self


@cache
def _validator(model: type[ToolInput]) -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(model.body_rules or {})


def _checked(pattern: str, what: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"must be {what}")
        return value

    return check


def _formatted(name: str, pattern: str, what: str) -> Any:
    """A string the API checks against a JSON Schema format; checked here first, so a bad value
    fails with a clear message before anything is sent."""
    return Annotated[str, AfterValidator(_checked(pattern, what)), WithJsonSchema({"type": "string", "format": name})]


EmailAddress = _formatted("email", r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an email address such as jane@example.com")
DateTime = _formatted("date-time", r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$", "an ISO 8601 date-time such as 2026-01-31T09:00:00Z (work out words like 'yesterday' into one first)")
Date = _formatted("date", r"^\d{4}-\d{2}-\d{2}$", "a date as YYYY-MM-DD such as 2026-01-31 (work out words like 'last week' into dates first)")
Uri = _formatted("uri", r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", "an absolute URI such as https://example.com/hook")
Number = Annotated[float, PlainSerializer(lambda v: int(v) if float(v).is_integer() else v, when_used="json")]
"""JSON Schema "number": accepts 5 or 5.5 and sends 5 back as 5, not 5.0."""

FORMATS = {"email": "EmailAddress", "date-time": "DateTime", "date": "Date", "uri": "Uri"}


@cache
def _field_names(model: type[BaseModel]) -> frozenset[str]:
    """Every name a field may be given by: its Python name and its alias."""
    return frozenset(n for name, f in model.model_fields.items() for n in (name, f.alias) if n)


@cache
def _annotations(model: type[BaseModel]) -> dict[str, Any]:
    """Each field's type, by name and by alias."""
    return {n: f.annotation for name, f in model.model_fields.items() for n in (name, f.alias) if n}


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
