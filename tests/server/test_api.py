"""The HTTP API against the real engine and the shipped index: streaming chat, follow-ups, search, documents,
feedback, the OpenAI-compatible endpoint, the pages, and bad input that must get a clear 4xx (never a 500)."""

from __future__ import annotations

import json
import re
import sqlite3
import time

import pytest

QUESTION = "区长质量奖的奖励标准是多少？"
CJK = re.compile(r"[\u4e00-\u9fff]")


def parse_sse(lines) -> list[tuple[str, dict]]:
    events, name, data = [], "message", []
    for line in list(lines) + [""]:
        if line == "":
            if data:
                events.append((name, json.loads("\n".join(data))))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    return events


def stream_chat(client, **body) -> list[tuple[str, dict]]:
    with client.stream("POST", "/api/chat", json=body) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return parse_sse(response.iter_lines())


def ask(client, message: str, **body) -> dict:
    response = client.post("/api/chat", json={"message": message, "stream": False, **body})
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    err = response.json()["error"]
    assert set(err) == {"code", "message", "detail"}
    assert CJK.search(err["message"]), err  # users read Chinese
    assert err["detail"] and err["detail"].isascii(), err  # operators and clients read English
    if code:
        assert err["code"] == code, err
    return err


# --- health ----------------------------------------------------------------------------------------

def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True and ready.json()["chunks"] > 0


def test_not_ready_without_an_index(make_settings, tmp_path):
    from fastapi.testclient import TestClient

    from assistant.server.app import create_app

    settings = make_settings(tmp_path)  # an empty index folder
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        assert c.get("/readyz").status_code == 503
        assert c.get("/healthz").status_code == 200
        assert_error(c.post("/api/chat", json={"message": QUESTION}), 503, "index_not_ready")
        assert_error(c.post("/api/search", json={"query": QUESTION}), 503, "index_not_ready")
        assert_error(c.get("/api/documents"), 503, "index_not_ready")
        assert_error(c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]}),
                     503, "index_not_ready")


# --- chat ------------------------------------------------------------------------------------------

def test_chat_streams_text_then_citations_then_done(client):
    events = stream_chat(client, message=QUESTION)
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-3:] == ["answer", "citations", "done"], names
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert len(deltas) >= 2, "the answer should arrive in pieces"
    answer = dict(events)["answer"]
    assert answer["found"] is True and "50万元" in answer["answer"] and "[1]" in answer["answer"]
    assert "".join(deltas).strip() == answer["answer"].strip()
    citations = dict(events)["citations"]["citations"]
    assert citations and all(c["sample"] is True for c in citations)  # the shipped corpus is sample text
    assert any("区长质量奖管理办法" in c["title"] for c in citations)
    assert answer["kind"] == "policy_question"
    done = dict(events)["done"]
    assert done["conversation_id"] == dict(events)["meta"]["conversation_id"] and done["message_id"]


def test_chat_tells_a_task_from_a_policy_question(client):
    answer = dict(stream_chat(client, message="帮我写一首关于春天的诗"))["answer"]
    assert answer["found"] is False and answer["kind"] == "out_of_scope"
    assert "区长质量奖" in answer["answer"]  # what the assistant covers, with example questions


def test_citation_spans_point_into_the_document_text(client):
    result = ask(client, QUESTION)
    assert result["citations"]
    for c in result["citations"]:
        doc = client.get(f"/api/documents/{c['doc_id']}").json()
        assert doc["text"][c["start"]:c["end"]] == c["quote"]
        assert doc["meta"]["title"] == c["title"] and doc["meta"]["status"] == c["status"]


def test_follow_up_question_uses_the_conversation(client):
    first = ask(client, QUESTION)
    follow = ask(client, "那提名奖呢？", conversation_id=first["conversation_id"])
    assert follow["conversation_id"] == first["conversation_id"]
    assert follow["resolved_question"] != "那提名奖呢？"  # context from the first turn was used
    assert "10万元" in follow["answer"] and follow["citations"]
    turns = client.get(f"/api/conversations/{first['conversation_id']}").json()["turns"]
    assert [t["question"] for t in turns] == [QUESTION, "那提名奖呢？"]
    assert turns[1]["answer"]["citations"][0]["sample"] is True


def test_chat_from_chosen_passages_only(client):
    hits = client.post("/api/search", json={"query": QUESTION, "k": 10}).json()["hits"]
    chosen = [h for h in hits if "申报指南" in h["title"]][:2] or hits[-2:]
    result = ask(client, QUESTION, chunk_ids=[h["chunk_id"] for h in chosen])
    spans = {(h["doc_id"], h["start"], h["end"]) for h in chosen}
    for c in result["citations"]:
        assert any(c["doc_id"] == d and s <= c["start"] and c["end"] <= e for d, s, e in spans), c


def test_conversations_are_bounded(engine, make_settings, shipped_index, tmp_path):
    from fastapi.testclient import TestClient

    from assistant.server.app import create_app

    settings = make_settings(tmp_path, index_dir=shipped_index.index_dir, conversation_max_turns=2,
                             conversation_max_count=2, conversation_ttl_s=600)
    app = create_app(settings, engine)
    with TestClient(app, raise_server_exceptions=False) as c:
        first = ask(c, QUESTION)["conversation_id"]
        for q in ("那提名奖呢？", "个人奖呢？"):
            ask(c, q, conversation_id=first)
        turns = c.get(f"/api/conversations/{first}").json()["turns"]
        assert [t["question"] for t in turns] == ["那提名奖呢？", "个人奖呢？"]  # oldest turn dropped

        # Idle past the TTL: gone, and said so.
        app.state.db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (time.time() - 3600, first))
        assert_error(c.post("/api/chat", json={"message": QUESTION, "conversation_id": first}), 404,
                     "conversation_not_found")

        # At most conversation_max_count kept: the least recently used goes first.
        ids = [ask(c, QUESTION)["conversation_id"] for _ in range(3)]
        app.state.conversations.prune(force=True)
        kept = {r["id"] for r in app.state.db.query("SELECT id FROM conversations")}
        assert len(kept) <= 2 and ids[-1] in kept and ids[0] not in kept
        assert not app.state.db.query("SELECT 1 FROM messages WHERE conversation_id = ?", (first,))


# --- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("body, status, code", [
    ({"message": ""}, 400, "message_empty"),
    ({"message": "   \n\t "}, 400, "message_empty"),
    ({"message": "质" * 10_000}, 400, "message_too_long"),
    ({"message": "奖励\x00标准"}, 400, "control_characters"),
    ({"message": "奖励\x1b[31m标准"}, 400, "control_characters"),
    ({"message": "奖励\u202e标准"}, 400, "control_characters"),
    ({"message": QUESTION, "conversation_id": "0" * 32}, 404, "conversation_not_found"),
    ({"message": QUESTION, "conversation_id": "../../etc/passwd"}, 400, "invalid_conversation_id"),
    ({"message": QUESTION, "chunk_ids": ["no-such-chunk"]}, 400, "unknown_chunk_id"),
    ({"message": QUESTION, "chunk_ids": []}, 400, "chunk_ids_empty"),
    ({"message": 42}, 422, "validation_error"),
    ({"text": QUESTION}, 422, "validation_error"),
    ({"message": QUESTION, "filters": {"current_only": "maybe"}}, 422, "validation_error"),
])
@pytest.mark.parametrize("stream", [True, False])
def test_bad_chat_input_gets_a_clear_4xx(client, body, status, code, stream):
    assert_error(client.post("/api/chat", json={**body, "stream": stream}), status, code)


@pytest.mark.parametrize("raw, status, code", [
    (b"{not json", 400, "invalid_json"),
    (b"", 422, "validation_error"),
    (b"[1, 2]", 422, "validation_error"),
    (b'"just a string"', 422, "validation_error"),
    ("{\"message\": \"\u533a\u957f".encode("utf-8"), 400, "invalid_json"),
    (b"\xff\xfe\x00garbage", 400, "invalid_json"),
    (b'{"message": "a\\ud800b"}', 400, "control_characters"),  # a lone surrogate
    (b'{"message": "x", "filters": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", 400, None),  # nesting too deep
])
def test_malformed_bodies(client, raw, status, code):
    response = client.post("/api/chat", content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, status, code)


def test_wrong_content_type(client):
    response = client.post("/api/chat", content="message=hi",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)


def test_request_size_limit(client, server_settings):
    big = json.dumps({"message": "质" * (server_settings.request_max_bytes // 2)})
    assert_error(client.post("/api/chat", content=big, headers={"Content-Type": "application/json"}),
                 413, "body_too_large")

    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(server_settings.request_max_bytes // 1000 + 10):
            yield b" " * 1000

    response = client.post("/api/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert_error(response, 413, "body_too_large")


def test_unknown_routes_and_methods_use_the_error_shape(client):
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.delete("/api/chat"), 405, "method_not_allowed")


# --- search and documents --------------------------------------------------------------------------

def test_search_returns_scored_passages(client):
    hits = client.post("/api/search", json={"query": QUESTION, "k": 5}).json()["hits"]
    assert 0 < len(hits) <= 5
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert all(h["chunk_id"] and isinstance(h["score"], float) and "sample" in h for h in hits)
    assert hits == sorted(hits, key=lambda h: -h["score"])


@pytest.mark.parametrize("body, status", [
    ({"query": ""}, 400), ({"query": "x", "k": 0}, 422), ({"query": "x", "k": 1000}, 422), ({}, 422),
    ({"query": "a\x07b"}, 400),
])
def test_bad_search_input(client, body, status):
    assert_error(client.post("/api/search", json=body), status)


def test_documents_list_and_detail(client, engine):
    listing = client.get("/api/documents").json()
    assert listing["count"] == len(engine.index.docs) == len(listing["documents"])
    first = listing["documents"][0]
    assert {"doc_id", "title", "doc_number", "status", "sample"} <= set(first)
    assert "text" not in first
    revised = client.get("/api/documents", params={"status": "已修订"}).json()["documents"]
    assert revised and all(d["status"] == "已修订" for d in revised)
    # The revised 2019 measures name their replacement, which the page links to.
    detail = client.get(f"/api/documents/{revised[0]['doc_id']}").json()
    assert detail["text"] == engine.index.docs[revised[0]["doc_id"]].text
    assert "corpus" not in detail["meta"]  # no server paths
    assert detail["related"].get("replaced_by", {}).get("doc_id") in engine.index.docs
    assert_error(client.get("/api/documents/0000000000000"), 404, "document_not_found")
    assert_error(client.get("/api/documents/bad%20id"), 400, "invalid_doc_id")


# --- feedback --------------------------------------------------------------------------------------

def test_feedback_is_stored_durably(client, server_settings):
    turn = ask(client, QUESTION)
    ok = client.post("/api/feedback", json={"rating": "helpful", "conversation_id": turn["conversation_id"],
                                            "message_id": turn["message_id"]})
    assert ok.status_code == 201, ok.text
    fixed = client.post("/api/feedback", json={"rating": "correction", "comment": "提名奖应为10万元<script>",
                                               "conversation_id": turn["conversation_id"],
                                               "message_id": turn["message_id"]})
    assert fixed.status_code == 201
    # A separate connection to the database file sees both rows, with what was really asked and answered.
    with sqlite3.connect(server_settings.data_dir / "assistant.sqlite3") as conn:
        rows = conn.execute("SELECT rating, question, answer, comment FROM feedback WHERE id IN (?, ?) ORDER BY id",
                            (ok.json()["id"], fixed.json()["id"])).fetchall()
    assert [r[0] for r in rows] == ["helpful", "correction"]
    assert rows[0][1] == QUESTION and "50万元" in rows[0][2]
    assert rows[1][3] == "提名奖应为10万元<script>"


@pytest.mark.parametrize("body, status, code", [
    ({"rating": "great", "question": "q"}, 422, "validation_error"),
    ({"rating": "correction", "question": "q"}, 400, "comment_empty"),
    ({"rating": "correction", "question": "q", "comment": "   "}, 400, "comment_empty"),
    ({"rating": "helpful"}, 400, "feedback_target_missing"),
    ({"rating": "helpful", "message_id": "1"}, 400, "conversation_id_missing"),
    ({"rating": "helpful", "conversation_id": "abc", "message_id": "999999"}, 404, "message_not_found"),
    ({"rating": "not_helpful", "question": "q", "comment": "x" * 5000}, 400, "comment_too_long"),
    ({"rating": "not_helpful", "question": "q\x00"}, 400, "control_characters"),
])
def test_bad_feedback(client, body, status, code):
    assert_error(client.post("/api/feedback", json=body), status, code)


# --- OpenAI-compatible -----------------------------------------------------------------------------

def test_openai_chat_completions(client):
    body = {"model": "quality-policy-assistant", "messages": [{"role": "system", "content": "你是助手"},
                                                               {"role": "user", "content": QUESTION}]}
    result = client.post("/v1/chat/completions", json=body).json()
    assert result["object"] == "chat.completion"
    message = result["choices"][0]["message"]
    assert message["role"] == "assistant" and result["choices"][0]["finish_reason"] == "stop"
    assert "50万元" in message["content"] and "参考来源：" in message["content"]
    assert "《城阳区区长质量奖管理办法》" in message["content"].split("参考来源：")[1]
    assert result["citations"] and result["citations"] == message["citations"]

    # Streaming: chunks whose content adds up to the same text, citations on the last, then [DONE].
    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as response:
        assert response.status_code == 200
        datas = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert datas[-1] == "[DONE]"
    chunks = [json.loads(d) for d in datas[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.replace("\n", "") == message["content"].replace("\n", "")
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"]


def test_openai_follow_up_from_message_history(client):
    first = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]}).json()
    body = {"messages": [{"role": "user", "content": QUESTION}, first["choices"][0]["message"],
                         {"role": "user", "content": [{"type": "text", "text": "那提名奖呢？"}]}]}
    follow = client.post("/v1/chat/completions", json=body).json()
    assert "10万元" in follow["choices"][0]["message"]["content"]
    assert client.get("/v1/models").json()["data"][0]["id"] == "quality-policy-assistant"


@pytest.mark.parametrize("body, status", [
    ({"messages": []}, 422),
    ({"messages": [{"role": "assistant", "content": "hi"}]}, 400),
    ({"messages": [{"role": "user", "content": "  "}]}, 400),
    ({"messages": [{"role": "user", "content": "质" * 10_000}]}, 400),
    ({"messages": [{"role": "wizard", "content": "hi"}]}, 422),
    ({"messages": "hello"}, 422),
])
def test_openai_bad_input(client, body, status):
    assert_error(client.post("/v1/chat/completions", json=body), status)


# --- pages -----------------------------------------------------------------------------------------

def test_pages_are_served_with_a_strict_policy(client):
    for path in ("/", "/helpdesk"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
            asset = client.get(src)
            assert asset.status_code == 200, src
        assert "<script>" not in page.text  # no inline script for the policy to allow
    assert client.get("/static/chat.js").headers["content-type"].startswith("text/javascript")
    assert_error(client.get("/static/../../pyproject.toml"), 404)
    assert_error(client.get("/static/%2e%2e/%2e%2e/pyproject.toml"), 404)
    assert client.get("/openapi.json").json()["paths"]["/api/chat"]
