"""The spec pipeline: vendored OpenAPI spec -> pydantic models + tool_specs/*.json.

Run it with `python scripts/generate.py`; `--check` fails when the committed output drifts.
"""
