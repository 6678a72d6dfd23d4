"""The OpenAPI page works offline: Swagger UI comes from this service, not from a CDN."""

from __future__ import annotations

import re


def test_docs_page_loads_its_assets_locally(client):
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page.text) + re.findall(r"url: ?'([^']+)'", page.text)
    assert urls and all(u.startswith("/") for u in urls), urls
    for asset in ("/vendor/swagger/swagger-ui-bundle.js", "/vendor/swagger/swagger-ui.css"):
        r = client.get(asset)
        assert r.status_code == 200 and len(r.content) > 10_000
    assert client.get("/vendor/swagger/../../etc/passwd").status_code == 404
    spec = client.get("/openapi.json").json()
    assert "/api/chat" in spec["paths"] and "/v1/chat/completions" in spec["paths"]
