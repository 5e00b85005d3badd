"""The search index the search tests rank with, one per set of weights (building one takes tens of
milliseconds, and every test file asks for it)."""

from __future__ import annotations

from functools import cache

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.search import SearchIndex, Weights

DEFAULT = Weights()


@cache
def search_index(weights: Weights = DEFAULT) -> SearchIndex:
    return SearchIndex(list(load_operations().values()), weights=weights)
