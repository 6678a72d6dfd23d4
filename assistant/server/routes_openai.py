"""OpenAI-compatible POST /v1/chat/completions (and GET /v1/models), so existing chat clients can use the
assistant. Citations travel twice: as a 参考来源 block at the end of the message text (every client shows it)
and as an extra `citations` field (for clients that can use it)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..models import Answer
from .rate_limit import rate_limit
from .errors import ApiError, check_text, error_body
from .routes_chat import SSE_HEADERS, answer_events, citation_payloads, final_answer, require_engine

log = logging.getLogger(__name__)
router = APIRouter(tags=["openai"])

MODEL_ID = "quality-policy-assistant"
SOURCES_HEADING = "参考来源："
MAX_MESSAGES = 100


class ContentPart(BaseModel):
    """One part of a message's content. Parts other than text (images, files) are accepted and ignored;
    a text part must carry a string, so `"text": 5`, null or a list is a 422, not a crash later."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None

    @model_validator(mode="after")
    def _text_part_has_text(self) -> "ContentPart":
        if self.type == "text" and self.text is None:
            raise ValueError("a text part needs a string 'text'")
        return self


class OpenAIMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None


class OpenAIChatRequest(BaseModel):
    model: str = MODEL_ID
    messages: list[OpenAIMessage] = Field(min_length=1)
    stream: bool = False


def _text(content: str | list[ContentPart] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.text or "" for part in content if part.type == "text")


def _parse(body: OpenAIChatRequest, max_chars: int) -> tuple[str, list[tuple[str, Answer]]]:
    """The last user message is the question; earlier user/assistant pairs are the history."""
    if len(body.messages) > MAX_MESSAGES:
        raise ApiError(400, "too_many_messages", f"消息过多（上限 {MAX_MESSAGES} 条）",
                       f"at most {MAX_MESSAGES} messages")
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise ApiError(400, "last_message_not_user", "最后一条消息必须是用户的问题", "the last message must have role 'user'")
    question = check_text(_text(turns[-1].content), "message", max_chars)
    history: list[tuple[str, Answer]] = []
    pending: str | None = None
    for m in turns[:-1]:
        if m.role == "user":
            pending = _text(m.content).strip()[:max_chars]
        elif pending:
            # Our own answers come back with the sources block appended; the engine wants the answer only.
            text = _text(m.content).split("\n\n" + SOURCES_HEADING, 1)[0]
            history.append((pending, Answer(answer=text, found=True, intent="followup_context")))
            pending = None
    return question, history


def sources_block(answer: Answer) -> str:
    lines = []
    for notice in answer.notices:
        lines.append(f"提示：{notice}")
    if answer.citations:
        lines.append(SOURCES_HEADING)
        for c in answer.citations:
            parts = [f"[{c.n}] 《{c.title}》"]
            if c.doc_number:
                parts.append(f"（{c.doc_number}）")
            if c.section:
                parts.append(f" {c.section}")
            if c.status and c.status != "现行":
                parts.append(f"〔{c.status}" + (f"，已由《{c.replaced_by_title}》替代" if c.replaced_by_title else "") + "〕")
            lines.append("".join(parts))
    return ("\n\n" + "\n".join(lines)) if lines else ""


def _completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


@router.get("/v1/models", summary="OpenAI 兼容：模型列表")
def models():
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "local"}]}


@router.post("/v1/chat/completions", dependencies=[Depends(rate_limit)], summary="OpenAI 兼容的对话接口")
def chat_completions(body: OpenAIChatRequest, request: Request):
    question, history = _parse(body, request.app.state.settings.max_question_chars)
    engine = require_engine(request)
    completion_id, created = _completion_id(), int(time.time())

    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        data = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    events = answer_events(engine, question, history, None, None)
    if not body.stream:
        answer = final_answer(events)
        citations = citation_payloads(engine, answer)
        return {
            "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer.answer + sources_block(answer),
                                     "citations": citations}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": citations, "found": answer.found, "intent": answer.intent, "kind": answer.kind,
        }

    def stream() -> Iterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        streamed = ""
        try:
            for event in events:
                if event.get("type") == "delta" and event.get("text"):
                    streamed += event["text"]
                    yield chunk({"content": event["text"]})
                elif event.get("type") == "final":
                    answer: Answer = event["answer"]
                    # A client cannot take back streamed text: when validation changed the answer, the
                    # checked version follows and is marked as the one to rely on.
                    base = streamed.rstrip()
                    if answer.answer.startswith(base):
                        tail = answer.answer[len(base):]
                        if streamed != base:  # trailing whitespace already went out
                            tail = tail.lstrip()
                    else:
                        tail = "\n\n——以下为核验后的回答——\n" + answer.answer
                    citations = citation_payloads(engine, answer)
                    yield chunk({"content": tail + sources_block(answer)})
                    yield chunk({}, "stop", citations=citations)
        except Exception:
            log.exception("openai stream failed")
            failure = error_body("internal_error", "生成回答时出错", "answer generation failed")
            yield f"data: {json.dumps(failure, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream; charset=utf-8", headers=SSE_HEADERS)
