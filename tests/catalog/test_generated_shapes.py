"""One generated class per distinct shape (issue 25, item 7): the spec repeats whole objects across
operations, and each repeat is one class that every operation taking it refers to."""

from __future__ import annotations

import importlib
import json
import pkgutil
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

import instantly_mcp.catalog.models as package
from instantly_mcp.catalog.model_base import SpecModel, ToolInput
from instantly_mcp.catalog.operations import load_operations

ENTITIES = f"{package.__name__}.entities"  # response models, apart: a tool's first call never imports them


def generated_classes() -> list[type[SpecModel]]:
    modules = [importlib.import_module(f"{package.__name__}.{m.name}") for m in pkgutil.iter_modules(package.__path__)]
    found = {
        id(value): value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, SpecModel) and value.__module__ == module.__name__
    }
    return list(found.values())


def union_members(annotation: Any) -> set[type[BaseModel]]:
    """Model classes a union names (in a list or dict too): pydantic writes their names into error
    locations, so the generator keeps each its own class on purpose."""
    origin, args = get_origin(annotation), get_args(annotation)
    members = {a for a in args if isinstance(a, type) and issubclass(a, BaseModel)}
    named = (
        set(members) if origin in (Union, UnionType) and len([a for a in args if a is not type(None)]) > 1 else set()
    )
    return named | {m for a in args for m in union_members(a)}


def shape(cls: type[SpecModel]) -> str:
    """Everything that makes two classes behave alike: schema (titles aside), config, rules."""
    schema = cls.model_json_schema(by_alias=True)
    schema.pop("title", None)
    if issubclass(cls, ToolInput):
        schema.pop("description", None)  # a tool's title; not in the schema agents are served
    rules = {name: repr(getattr(cls, name, None)) for name in ("body_fields", "body_rules", "body_rule_text")}
    config = {k: repr(v) for k, v in cls.model_config.items()}
    return json.dumps([_untitled(schema), rules, config, cls.__base__.__name__], sort_keys=True)


def _untitled(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _untitled(v) for k, v in node.items() if k not in ("title", "$defs")} | {
            "$defs": sorted(json.dumps(_untitled(d), sort_keys=True) for d in node.get("$defs", {}).values())
        }
    if isinstance(node, list):
        return [_untitled(v) for v in node]
    return node


def test_no_two_generated_classes_have_one_shape() -> None:
    classes = generated_classes()
    kept_apart = {m for cls in classes for f in cls.model_fields.values() for m in union_members(f.annotation)}
    seen: dict[str, str] = {}
    repeats = []
    for cls in classes:
        if cls in kept_apart:
            continue
        name = f"{cls.__module__}.{cls.__qualname__}"
        other = seen.setdefault(f"{cls.__module__ == ENTITIES}{shape(cls)}", name)
        if other != name:
            repeats.append(f"{other} = {name}")
    assert not repeats, repeats


def test_tools_that_take_the_same_arguments_share_one_class() -> None:
    ops = load_operations()
    assert ops["get_campaign"].model() is ops["get_lead_list"].model()
    assert ops["delete_campaign"].model() is ops["delete_webhook"].model()
    assert ops["get_campaign"].model() is not ops["delete_campaign"].model()  # the id's description differs


def test_an_object_several_tags_take_is_one_shared_class() -> None:
    ops = load_operations()
    schedule = field_model(ops["create_campaign"].model(), "campaign_schedule")
    config = field_model(ops["create_ai_sales_agent"].model(), "config")
    outreach = field_model(config, "outreach_settings")
    assert field_model(outreach, "campaign_schedule") is schedule
    assert field_model(ops["update_campaign_subsequence"].model(), "subsequence_schedule") is schedule
    assert schedule.__module__ == f"{package.__name__}.shared"


def field_model(model: type[BaseModel], name: str) -> type[BaseModel]:
    annotation = model.model_fields[name].annotation
    found = [a for a in (annotation, *get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)]
    assert len(found) == 1, annotation
    return found[0]
