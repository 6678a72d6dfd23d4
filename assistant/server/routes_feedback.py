"""POST /api/feedback: helpful / not helpful / a correction, stored durably in the feedback table."""

from __future__ import annotations

import json
import time
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from .conversations import get_store
from .errors import ApiError, check_id, check_text

router = APIRouter(tags=["feedback"])


class FeedbackRequest(BaseModel):
    rating: Literal["helpful", "not_helpful", "correction"] = Field(description="有帮助 / 没帮助 / 纠错")
    comment: str = Field("", description="说明或更正内容（纠错时必填）")
    conversation_id: str | None = None
    message_id: str | None = None
    question: str = Field("", description="未关联会话时可直接提供问题")
    answer: str = Field("", description="未关联会话时可直接提供回答")


@router.post("/api/feedback", status_code=201, summary="对回答的反馈")
def feedback(body: FeedbackRequest, request: Request):
    settings = request.app.state.settings
    limit = settings.feedback_max_chars
    comment = check_text(body.comment, "comment", limit, required=body.rating == "correction")
    question = check_text(body.question, "question", limit, required=False)
    answer = check_text(body.answer, "answer", limit * 4, required=False)
    conversation_id = message_id = None
    if body.message_id:
        if not body.conversation_id:
            raise ApiError(400, "conversation_id_missing", "请同时提供 conversation_id", "message_id needs conversation_id")
        conversation_id = check_id(body.conversation_id, "conversation_id")
        message_id = check_id(body.message_id, "message_id")
        stored = get_store(request.app).message(conversation_id, message_id)
        if stored is None:
            raise ApiError(404, "message_not_found", "未找到要反馈的回答，会话可能已过期",
                           f"message {message_id} not found in conversation {conversation_id}")
        # What was really asked and answered, not what the client claims.
        question = stored["question"]
        answer = json.loads(stored["answer_json"]).get("answer", "")
    elif body.conversation_id:
        conversation_id = check_id(body.conversation_id, "conversation_id")
    if not (question or message_id):
        raise ApiError(400, "feedback_target_missing", "请说明反馈针对哪一条回答（message_id 或 question）",
                       "give message_id (with conversation_id) or question")
    cur = request.app.state.db.execute(
        "INSERT INTO feedback (conversation_id, message_id, question, answer, rating, comment, created_at) "
        "VALUES (?,?,?,?,?,?,?)", (conversation_id, message_id, question, answer, body.rating, comment, time.time()))
    return {"id": cur.lastrowid, "stored": True, "message": "已收到您的反馈，谢谢！"}
