"""Pydantic models generated from the vendored spec, one module per tag (see scripts/generate.py).

Every module except _base.py is generated; edit tool_specs/overrides.toml or the generator instead.
Modules are imported on a tool's first call, so start-up does not pay for them.
"""
