"""Shared test helpers: pinned npm tools (node.py) and the Prism mock server (prism.py)."""
