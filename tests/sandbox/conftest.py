from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from instantly_mcp.sandbox import Sandbox, create_app

from .support import AUTH


@pytest.fixture
def app() -> Starlette:
    return create_app()


@pytest.fixture
def sandbox(app: Starlette) -> Sandbox:
    return app.state.sandbox


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, headers=AUTH) as test_client:
        yield test_client
