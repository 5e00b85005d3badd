"""Shared fixtures; each lives in tests/support/ and is imported here so pytest finds it.

Every server a test starts (in process or as a child) keeps its approver secret in a config
directory of this test run, never in the user's own ~/.config."""

import os
import tempfile

os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="instantly-mcp-test-config-")

from support.browser import browser  # noqa: F401
from support.prism import prism_url  # noqa: F401
from support.redis_server import redis, redis_server  # noqa: F401
from support.sandbox_http import sandbox, sandbox_process  # noqa: F401
