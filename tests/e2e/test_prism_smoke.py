"""The Prism fixture works on the vendored spec: it accepts valid requests and rejects invalid ones."""

from __future__ import annotations

import httpx2
import pytest

from support.prism import request_violations

pytestmark = pytest.mark.prism

AUTH = {"Authorization": "Bearer test-key"}
PATH = "/api/v2/block-lists-entries"


@pytest.fixture(scope="module")
def client(prism_url: str):
    with httpx2.Client(base_url=prism_url, timeout=30, trust_env=False) as c:
        yield c


def test_valid_get_with_bearer_is_200(client: httpx2.Client) -> None:
    r = client.get(PATH, params={"limit": 10}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert request_violations(r) == []
    assert "items" in r.json()


def test_missing_bearer_is_401(client: httpx2.Client) -> None:
    r = client.get(PATH)
    assert r.status_code == 401, r.text


def test_invalid_query_is_422_naming_the_parameter(client: httpx2.Client) -> None:
    r = client.get(PATH, params={"limit": 500}, headers=AUTH)
    assert r.status_code == 422, r.text
    assert [v["location"] for v in request_violations(r)] == [["query", "limit"]]


def test_invalid_body_is_rejected_naming_the_field(client: httpx2.Client) -> None:
    r = client.post(PATH, json={"bl_value": 5}, headers=AUTH)
    # This operation declares a 400, so Prism answers with it (spec example body)
    # and puts the reason in the sl-violations header.
    assert r.status_code in (400, 422), r.text
    violations = request_violations(r)
    assert violations and all("bl_value" in v["location"] for v in violations), violations


def test_valid_post_is_2xx(client: httpx2.Client) -> None:
    r = client.post(PATH, json={"bl_value": "example.com"}, headers=AUTH)
    assert 200 <= r.status_code < 300, r.text
    assert request_violations(r) == []
