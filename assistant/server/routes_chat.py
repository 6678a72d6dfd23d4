"""POST /api/chat: a question in a conversation -> Server-Sent Events (answer text as produced, then the
validated answer, its citations, done) or one JSON object with `"stream": false`."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from ..answer import QuestionError
from ..engine import Engine
from ..models import Answer, SearchFilters
from ..store import IndexNotFound
from .conversations import get_store
from .rate_limit import rate_limit
from .errors import ApiError, check_text, error_body, index_not_ready

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat"])

MAX_CHUNK_IDS = 30


class ChatRequest(BaseModel):
    message: str = Field(description="用户的问题")
    conversation_id: str | None = Field(None, description="上一轮返回的会话 ID；省略则开始新会话")
    stream: bool = Field(True, description="true：以 Server-Sent Events 流式返回；false：返回一个 JSON")
    filters: SearchFilters | None = None
    chunk_ids: list[str] | None = Field(None, description="只依据这些片段作答（按此顺序），用于人工坐席勾选段落")


# --- shared with the OpenAI-compatible route -------------------------------------------------------

def require_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    if not engine.ready:
        raise index_not_ready()
    return engine


def check_chunk_ids(engine: Engine, chunk_ids: list[str] | None) -> list[str] | None:
    if chunk_ids is None:
        return None
    if not chunk_ids:
        raise ApiError(400, "chunk_ids_empty", "请至少勾选一个段落", "chunk_ids is empty")
    if len(chunk_ids) > MAX_CHUNK_IDS:
        raise ApiError(400, "too_many_chunk_ids", f"最多勾选 {MAX_CHUNK_IDS} 个段落",
                       f"at most {MAX_CHUNK_IDS} chunk_ids")
    known = engine.index.chunk_pos
    for chunk_id in chunk_ids:
        if chunk_id not in known:  # membership in the index is the whole validation
            raise ApiError(400, "unknown_chunk_id", "所选段落已不在当前索引中，请重新检索",
                           f"chunk {chunk_id} is not in the loaded index")
    return list(dict.fromkeys(chunk_ids))


def citation_payloads(engine: Engine, answer: Answer) -> list[dict]:
    """Citations plus what the page shows beside them: the document's sample flag."""
    docs = engine.index.docs if engine.ready else {}
    out = []
    for c in answer.citations:
        rec = docs.get(c.doc_id)
        item = c.model_dump()
        item["sample"] = bool(rec and rec.meta.sample)
        item["issuer"] = rec.meta.issuer if rec else ""
        out.append(item)
    return out


def answer_payload(engine: Engine, answer: Answer) -> dict:
    data = answer.model_dump(exclude={"citations"})
    data["citations"] = citation_payloads(engine, answer)
    return data


def answer_events(engine: Engine, question: str, history: list[tuple[str, Answer]],
                  filters: SearchFilters | None, chunk_ids: list[str] | None) -> Iterator[dict]:
    """The engine's events, started here so that a question the engine refuses, or an index that went
    away, becomes a 4xx/503 before any response is sent: {"type": "delta", "text"}… then one "final"."""
    try:
        events = engine.ask_stream(question, history, filters=filters, chunk_ids=chunk_ids)
        first = next(events, None)
    except QuestionError as exc:
        raise ApiError(400, "invalid_question", str(exc), "the engine rejected the question") from None
    except IndexNotFound:
        raise index_not_ready() from None
    if first is None:
        return iter(())
    return itertools.chain([first], events)


def final_answer(events: Iterator[dict]) -> Answer:
    for event in events:
        if event.get("type") == "final":
            return event["answer"]
    raise RuntimeError("engine produced no final answer")


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


# --- route -----------------------------------------------------------------------------------------

@router.post("/api/chat", dependencies=[Depends(rate_limit)], summary="提问（流式或 JSON）",
             responses={200: {"content": {"text/event-stream": {}, "application/json": {}},
                              "description": "SSE 事件：meta, delta…, answer, citations, done（出错时 error）"}})
def chat(body: ChatRequest, request: Request):
    settings = request.app.state.settings
    question = check_text(body.message, "message", settings.max_question_chars)
    engine = require_engine(request)
    chunk_ids = check_chunk_ids(engine, body.chunk_ids)
    store = get_store(request.app)
    conversation_id = store.open(body.conversation_id) if body.conversation_id else None
    history = store.history(conversation_id, settings.chat_history_turns) if conversation_id else []
    events = answer_events(engine, question, history, body.filters, chunk_ids)
    conversation_id = conversation_id or store.create()  # only once the engine has accepted the question
    if not body.stream:
        answer = final_answer(events)
        message_id = store.append(conversation_id, question, answer)
        return {"conversation_id": conversation_id, "message_id": message_id, **answer_payload(engine, answer)}

    def stream() -> Iterator[str]:
        yield sse("meta", {"conversation_id": conversation_id})
        answer = None
        try:
            for event in events:
                if event.get("type") == "delta" and event.get("text"):
                    yield sse("delta", {"text": event["text"]})
                elif event.get("type") == "final":
                    answer = event["answer"]
            if answer is None:
                raise RuntimeError("engine produced no final answer")
        except Exception:  # the status line is already sent: report the failure in the stream
            log.exception("chat stream failed")
            yield sse("error", error_body("internal_error", "生成回答时出错，请稍后重试", "answer generation failed"))
            return
        message_id = store.append(conversation_id, question, answer)
        payload = answer_payload(engine, answer)
        citations = payload.pop("citations")
        yield sse("answer", payload)  # the validated text replaces what was streamed
        yield sse("citations", {"citations": citations})
        yield sse("done", {"conversation_id": conversation_id, "message_id": message_id})

    return StreamingResponse(stream(), media_type="text/event-stream; charset=utf-8", headers=SSE_HEADERS)


@router.get("/api/conversations/{conversation_id}", summary="会话中已保存的问答")
def conversation(conversation_id: str, request: Request):
    store = get_store(request.app)
    store.open(conversation_id)  # 400 / 404 for a bad or unknown id
    engine = request.app.state.engine
    turns = [{**t, "answer": answer_payload(engine, t["answer"])} for t in store.turns(conversation_id)]
    return {"conversation_id": conversation_id, "turns": turns}
