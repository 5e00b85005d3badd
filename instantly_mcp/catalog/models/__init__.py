"""Pydantic models generated from the vendored spec, one module per tag (see scripts/generate.py).

One class per distinct shape (scripts/specgen/shapes.py): an object in the arguments of several tags
is in shared.py, which their modules import; tools that take the same arguments share one class, in
shared_tools.py when the tools are of several tags (tool_specs names each tool's class).

Every module here is generated (their base classes are catalog/model_base.py, handwritten); edit
tool_specs/overrides.toml or the generator instead. Each header names the sha256 of the spec it was made from.
Modules are imported on a tool's first call, so start-up does not pay for them.
"""
