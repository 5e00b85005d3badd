"""The search index the search tests rank with, one per set of weights (building one takes tens of
milliseconds, and every test file asks for it)."""

from __future__ import annotations

from functools import cache

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.search import SearchIndex, Weights

DEFAULT = Weights()
# Neither the example requests' field nor naive Bayes over them: what a rule test ranks with, since
# users' words can outvote a rule on a request that shares them.
WITHOUT_EXAMPLES = Weights(examples=0.0, likely=0.0)


@cache
def search_index(weights: Weights = DEFAULT) -> SearchIndex:
    return SearchIndex(list(load_operations().values()), weights=weights)


def position(tool: str) -> int:
    """The tool's place in the index: its terms and per-tool tables are read by it."""
    return next(i for i, op in enumerate(search_index().operations) if op.name == tool)
