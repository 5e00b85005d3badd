"""instantly-mcp: the Instantly.ai API V2 as typed, safety-gated MCP tools."""

__version__ = "0.1.0"
