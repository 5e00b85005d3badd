"""Shared fixtures; each lives in tests/support/ and is imported here so pytest finds it."""

from support.prism import prism_url  # noqa: F401
