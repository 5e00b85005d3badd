"""Shared fixtures; each lives in tests/support/ and is imported here so pytest finds it."""

from support.browser import browser  # noqa: F401
from support.prism import prism_url  # noqa: F401
from support.redis_server import redis, redis_server  # noqa: F401
from support.sandbox_http import sandbox, sandbox_process  # noqa: F401
