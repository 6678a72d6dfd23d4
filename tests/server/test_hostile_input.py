"""Requests that used to crash the service with a 500 (issue 11, item 6): each must get a clear 4xx in the
service's error shape."""

from __future__ import annotations

import pytest

from .test_api import assert_error


@pytest.mark.parametrize("text", [5, None, ["质量奖"], {"a": 1}])
def test_openai_text_part_that_is_not_a_string(client, text):
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]}
    assert_error(client.post("/v1/chat/completions", json=body), 422, "validation_error")


def test_openai_non_text_parts_are_ignored_and_text_parts_still_answer(client):
    body = {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}},
                                                      {"type": "text", "text": "区长质量奖的奖励标准是多少？"}]}]}
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"]


@pytest.mark.parametrize("path", ["/static/common.js%00.png", "/static/" + "a" * 300,
                                  "/static/" + "/".join(["a" * 200] * 3), "/static/chat.js%01",
                                  "/static/%ff%fe.js"])
def test_static_paths_the_file_system_cannot_take_are_404(client, path):
    assert_error(client.get(path), 404, "not_found")


def test_static_files_still_served(client):
    assert client.get("/static/common.js").status_code == 200


@pytest.mark.parametrize("path", ["/api/chat", "/api/search", "/v1/chat/completions", "/api/feedback"])
def test_deeply_nested_json_body_is_400(client, path):
    r = client.post(path, content=b"[" * 50_000, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["code"]
