"""Shared constants for the sandbox tests."""

AUTH = {"Authorization": "Bearer sandbox-test-key"}
