"""What a question asks for: eligibility, materials, steps, deadline, fee, amount, contact, definition."""

from __future__ import annotations

import re

INTENTS = ("eligibility", "materials", "steps", "deadline", "fee", "amount", "contact", "definition", "general")

# Asking when (什么时候 and its spoken forms): a deadline cue, and what outranks a thing only named (below).
_WHEN = r"多久|几天|多长时间|什么时候|啥时|几时|何时|哪天"
# Words in the question that reveal the intent (first match in this order wins). 怎么办 without 理 asks what
# follows from a situation (造假了怎么办, 终端遇到问题怎么办), not the steps of an application.
QUESTION_CUES: tuple[tuple[str, re.Pattern], ...] = (
    ("contact", re.compile(r"电话|联系方式|联系人|交到哪|送到哪|报到哪|去哪|哪里办|在哪办|在哪里办|地址|地点|窗口|网址|哪个网站|哪个平台|什么平台|哪个部门|哪个科室|找谁|找哪")),
    ("materials", re.compile(r"材料|资料|提交什么|提供什么|准备什么|要交什么|需要交|带什么|证明文件|附件|要交哪些")),
    ("steps", re.compile(r"流程|步骤|程序|怎么办理|怎么报|怎么申|如何申|怎样申|怎么弄|咋办理|咋报|办理方式|如何办理|怎么参加|怎么做|如何参加|怎么报名|如何报名|手续|怎么点单|怎么参与|如何参与|怎么导入|怎么退出|怎么操作|几个阶段|哪些阶段|分几步|几个步骤")),
    # Whether a service or an application costs the applicant anything (收费标准 is a field of every 办事指南):
    # its answer is 不收取任何费用 / 按规定标准收费, not the programme's reward amounts.
    ("fee", re.compile(r"收费|收不收|收钱|要钱|要不要钱|交钱|交费|报名费|培训费|手续费|工本费|服务费|评审费|"
                       r"要交.{0,4}费|免费吗|是否免费|免不免费|费用吗")),
    ("amount", re.compile(r"多少钱|奖多少|补多少|给多少|多少万|奖励多少|补贴多少|资助多少|金额|奖金|奖励标准|补贴标准|奖励.*多少|补贴.*多少|资助.*多少|最高.*奖|能拿|有没有奖励|有奖励|奖励吗|补贴吗|补贴没|奖励没|给钱|投多少|比例|费用")),  # 收费 / 要钱 / 收不收钱: fee, above
    ("eligibility", re.compile(r"条件|资格|能不能|能否|可以申|可不可以|符合|门槛|哪些企业|什么企业|谁可以|还能报|能报|能申请|可以报|具备|几年以上|满几年|要求")),
    # 截至2月17日 / 截至目前 anchors a figure in time; only 截止到哪天, 截止时间 ask for a deadline.
    ("deadline", re.compile(r"(?:截止|截至)(?!到?\s*(?:\d|目前|今|现在|[一二三四五六七八九十]+月))|时限|期限|" + _WHEN +
                            r"|日期|几年|周期|有效期|多少个工作日|几点")),
    ("contact", re.compile(r"咨询|哪里|在哪|平台|网站|部门")),
    ("definition", re.compile(r"什么是|是什么|指什么|含义|定义|区别|意思|是指|啥是|职责|内容是|说了什么|规定了什么|主要内容|讲的啥|讲了什么|一回事")),
)
# Heading words of the passage that answers each intent (a section named 申报材料 answers "materials").
SECTION_CUES: dict[str, re.Pattern] = {
    "materials": re.compile(r"材料|提交|附件|所需"),
    "steps": re.compile(r"流程|程序|步骤|办理方式|申报方式|报名方式|报名方法|申请方式|参与方式|评审|办理环节"),
    "eligibility": re.compile(r"条件|资格(?!审)|对象|范围|要求"),
    "deadline": re.compile(r"时间|时限|期限|截止|安排|周期"),
    "amount": re.compile(r"奖励|补贴|资助|标准|支持|扶持|奖补"),
    "fee": re.compile(r"收费|费用"),
    "contact": re.compile(r"联系|咨询|地点|方式|受理|窗口"),
    "definition": re.compile(r"定义|含义|职责|术语|总则|内容"),
}

# Words in a sentence that make it a likely answer to each intent.
SENTENCE_CUES: dict[str, re.Pattern] = {
    "amount": re.compile(r"\d+(?:\.\d+)?\s*(?:万元|元|%|％)|[一二三四五六七八九十百千]+万元|奖励|补贴|资助"),
    "fee": re.compile(r"收费|收取|免费|免收|不收|减收|费用|自理"),
    "deadline": re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d+个?工作日|截止|之前|前完成|每[一二两三四五]?年|有效期|日内|月底|季度"),
    "contact": re.compile(r"\d{3,4}-\d{7,8}|电话|地址|地点|[路街]\d+号|平台|网站|窗口|邮箱"),
    "materials": re.compile(r"复印件|证明|申报书|申请表|报告|营业执照|材料|证书|清单|承诺书"),
    "steps": re.compile(r"提交|申报|审核|评审|公示|受理|登录|填写|上传|审查|确认|发布"),
    "eligibility": re.compile(r"具备|符合|具有|不得|应当|须|条件|依法|注册|未发生|满足"),
    "definition": re.compile(r"是指|指的是|所称|负责|职责|主要"),
}

INTENT_WORDS = re.compile("|".join(p.pattern for _, p in QUESTION_CUES))

LEADS = {
    "eligibility": "申报需满足以下条件：",
    "materials": "需要准备以下材料：",
    "steps": "办理流程如下：",
}


# Asking when (收材料截止到哪天) outranks a thing that is only named (材料): the thing is the topic, the time the ask.
_ASKS_WHEN = re.compile(_WHEN + r"|哪一天|几号")
_NAMED_ONLY = ("materials", "eligibility", "steps")
_INTERROGATIVE_NEAR = re.compile(r"什么|哪些|哪个|怎么|如何|怎样|啥|多少|咋")  # 需要什么材料, 怎么办理: asked itself
_ASKED_AFTER = re.compile(r"(?:有|都有|包括|是|要)(?:哪些|什么|啥)")  # 材料有哪些


def detect_intent(question: str) -> str:
    for name, pattern in QUESTION_CUES:
        if m := pattern.search(question):
            if name in _NAMED_ONLY and _ASKS_WHEN.search(question[m.end():]) \
                    and not _INTERROGATIVE_NEAR.search(question[max(0, m.start() - 4):m.end()]) \
                    and not _ASKED_AFTER.match(question[m.end():]):
                return "deadline"
            return name
    return "general"


def intent_phrase(question: str) -> str:
    """The intent words of a question ('要什么条件'), reused when a follow-up changes only the topic."""
    return " ".join(m.group(0) for m in INTENT_WORDS.finditer(question))


def detect_intents(question: str) -> list[str]:
    """Every distinct thing a compound question asks, in the order it asks them
    (需要什么条件、什么材料、在哪里报 -> eligibility, materials, contact); one entry for a simple question.
    A thing counts as asked on its own when its clause asks it (要多久 after 怎么办理) or when it is joined to
    another by 和 / 及 / 、 (条件和材料). Cue words met anywhere in one long clause are one question
    (如何提交相关资料 on a 政务服务平台 asks for materials, not also for a contact): on the ncp dev questions
    every one of the 12 the old whole-question test split was a single question answered twice."""
    found: dict[str, int] = {}
    for m in _CLAUSE.finditer(question):
        clause = m.group(0)
        cues = sorted((c.start(), c.end(), n) for n, p in QUESTION_CUES for c in p.finditer(clause))
        name = detect_intent(clause)
        if name != "general" and name not in found:
            found[name] = m.start() + min(s for s, _, n in cues if n == name)
        for (s1, e1, n1), (s2, _, n2) in zip(cues, cues[1:]):
            if n1 != n2 and _JOINED.fullmatch(clause[e1:s2]):
                for n, s in ((n1, s1), (n2, s2)):
                    found.setdefault(n, m.start() + s)
    if len(found) <= 1:
        return [detect_intent(question)]
    return sorted(found, key=found.get)


# What may stand between two things asked in one clause: a conjunction and a few filler words.
_JOINED = re.compile(r"(?:和|及|以及|与|跟|还有|、)(?:需要|要|有|的)?(?:什么|哪些|多少)?(?:申报|申请)?")


_CLAUSE = re.compile(r"[^？?，,、；;。！!]+")


def clauses_by_intent(question: str, intents: list[str]) -> dict[str, str]:
    """The clause of a compound question in which each intent is asked (多久评一次 for deadline)."""
    out: dict[str, str] = {}
    for m in _CLAUSE.finditer(question):
        clause = m.group(0).strip()
        for name, pattern in QUESTION_CUES:
            if name in intents and name not in out and pattern.search(clause):
                out[name] = clause
    return out


# 质量安全总监和质量安全员有什么区别: two named things set against each other; each is answered by what it is or does.
_COMPARE = re.compile(r"^(?P<a>[^，,。？?！!和与跟]{2,20}?)(?:和|与|跟)(?P<b>[^，,。？?！!]{2,20}?)(?:之间)?(?:有|的)?"
                      r"(?:什么|啥|哪些|何)?(?:区别|不同|差别|差异|异同)")


def comparison_pair(question: str) -> tuple[str, str] | None:
    """The two things a "what is the difference between A and B" question names, else None."""
    m = _COMPARE.search(question.strip())
    if m is None:
        return None
    return m.group("a").strip(), m.group("b").strip()
