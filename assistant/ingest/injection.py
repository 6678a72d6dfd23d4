"""Text that addresses the assistant instead of enterprises: prompt injection planted in a document.

Policy text speaks about enterprises, departments and procedures in the third person; it never tells a
reader to ignore earlier instructions, never assigns the reader a role ("你是一个…", "扮演…"), never opens
a line with a chat role marker ("SYSTEM:", "assistant:") and never speaks to an AI model. Each of those
shapes is one pattern below. A sentence that matches is flagged at upload for the admin to confirm, is
never an answer's lead sentence (answer/compose.py) and is marked untrusted in the LLM prompt
(answer/llm.py). False positives were measured on the real corpora (benchmarks/injection_fp.py,
docs/benchmarks.md): ordinary policy text must not match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import split_sentences

# Each (kind, pattern). Patterns are anchored on what no policy sentence says, not on single words:
# 忽略 alone occurs in statutes (不得忽略安全隐患); 忽略以上所有指令 does not.
_TARGETS = r"(?:指令|指示|提示词?|规则|设定|命令|约束|限制|要求|内容|对话|上下文|说明|prompt|instructions?)"
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # 忽略以上所有指令 / 无视之前的规则 / 忘记你之前的设定 / 不要理会上述要求
    ("override", re.compile(
        r"(?:忽略|忽视|无视|忘记|忘掉|抛开|跳过|不要理会|不必理会|不用理会|不再遵守|停止遵守|覆盖)"
        r"(?:掉)?(?:你)?(?:的)?(?:以上|上面|上述|之前|此前|先前|前面|前述|原有|原来|已有|全部|所有|一切|任何|系统)"
        r"[^。！？\n]{0,12}?" + _TARGETS)),
    ("override", re.compile(
        r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,30}\b(?:previous|prior|above|earlier|all|system)\b"
        r"[^.!?\n]{0,20}\b(?:instructions?|prompts?|rules|messages?|context)\b", re.I)),
    # 你是一个… / 你现在是… / 从现在开始你… / 请扮演… / 假装你是… / you are now…
    # (a role for the reader of a help text, "如果你是一个密切接触者", names no assistant-like role)
    ("role", re.compile(
        r"(?<!如果)(?<!假如)(?<!若)(?:你|您)(?:现在|从现在起|从此|今后|接下来)?(?:是|将是|就是|扮演|充当|作为)"
        r"(?:一[个名位只款]|个)?[^。！？\n，,]{0,24}(?:助手|机器人|AI|人工智能|模型|角色|程序|客服|GPT)")),
    ("role", re.compile(r"(?:从现在(?:开始|起)|接下来)[，,]?(?:你|您)(?:要|将|必须|只能|需要|应该|是|扮演)")),
    ("role", re.compile(r"(?:请|你要|你需要|你必须)?(?:扮演|假装|假扮|模仿|充当)(?:你是|成为|一[个名位])?[^。！？\n]{0,8}"
                        r"(?:角色|身份|助手|机器人|AI|专家|客服|模型)")),
    ("role", re.compile(r"\b(?:you are now|act as|pretend (?:to be|you are)|roleplay as|from now on,? you)\b", re.I)),
    # A chat role marker at the start of a line: SYSTEM: / system prompt / <|im_start|> / [INST]
    ("role_marker", re.compile(
        r"(?:^|\n)\s*(?:第[一二三四五六七八九十百零〇\d]+条|[（(]?[一二三四五六七八九十\d]{1,3}[)）.．、])?\s*(?:#{1,3}\s*)?"
        r"(?:system|assistant|user|human|ai|系统提示词?|系统指令|系统消息|助手|assistant prompt)"
        r"\s*[:：]", re.I)),
    ("role_marker", re.compile(r"<\|im_(?:start|end)\|>|\[/?INST\]|<</?SYS>>|<\|(?:system|user|assistant)\|>", re.I)),
    # Speaking to the model: 作为AI助手，你… / 大模型请… / 致AI：… / 当你回答… / 你的回答必须…
    ("address", re.compile(
        r"(?:作为|身为)(?:一[个名])?[^，,。！？\n]{0,6}(?:AI|人工智能|语言模型|大模型|助手|机器人)[^，,。！？\n]{0,4}[，,]?(?:你|您)")),
    ("address", re.compile(
        r"(?:AI|人工智能|语言模型|大模型|ChatGPT|GPT|聊天机器人|问答助手|智能助手|政策助手)(?:助手|模型)?[，,：:]\s*"
        r"(?:请|你|您|必须|务必)")),
    ("address", re.compile(
        r"(?:你|您)(?:的)?(?:回答|回复|输出)(?:必须|只能|一律|应当|要)|(?:当|如果)(?:有人|用户)(?:问|询问|提问)[^。！？\n]{0,30}"
        r"(?:你|您)?(?:就|应|要|必须|请)?(?:回答|回复|告诉|说)")),
    ("address", re.compile(r"(?:系统提示词|system prompt|提示词注入|越狱模式|jailbreak|developer mode|DAN模式)", re.I)),
)

KIND_LABELS = {"override": "要求忽略先前指令", "role": "给回答者设定角色", "role_marker": "对话角色标记",
               "address": "直接对AI助手下指令"}


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    kind: str
    text: str

    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def injection_kind(sentence: str) -> str | None:
    """The kind of instruction-to-the-assistant a sentence contains, or None for ordinary text."""
    for kind, pattern in PATTERNS:
        if pattern.search(sentence):
            return kind
    return None


def is_injection(sentence: str) -> bool:
    return injection_kind(sentence) is not None


def find_injections(text: str, limit: int = 50) -> list[Finding]:
    """Sentences of `text` that address the assistant, in order (at most `limit`)."""
    out: list[Finding] = []
    for s, e in split_sentences(text):
        kind = injection_kind(text[s:e])
        if kind:
            out.append(Finding(s, e, kind, text[s:e][:300]))
            if len(out) >= limit:
                break
    return out
