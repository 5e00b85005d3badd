"""The MCP server over stdio, SSE and streamable HTTP; runtime wiring and progress."""
