"""A built-in Instantly API V2 sandbox: the default backend without an API key, and the test backend.

app = create_app(seed=True)            # a starlette app serving /api/v2/* for every operation of the spec
app.state.sandbox.request_log          # what clients sent, for assertions
serve(port=8089)                       # the same, out of process (blocking)
"""

from instantly_mcp.sandbox.app import Sandbox, create_app
from instantly_mcp.sandbox.faults import FaultRule
from instantly_mcp.sandbox.server import serve

__all__ = ["FaultRule", "Sandbox", "create_app", "serve"]
