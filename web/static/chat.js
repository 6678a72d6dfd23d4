/* The chat page: streamed answers with citation marks, sources, feedback, follow-up context. */
"use strict";

(() => {
  const { el, api, streamPost, statusBadge, sampleBadge, renderCited, copyText, flash, openDocument } = QPA;
  const KEY = "qpa.conversation";
  const form = document.getElementById("ask-form");
  const input = document.getElementById("question");
  const send = document.getElementById("send");
  const turns = document.getElementById("turns");
  const welcome = document.getElementById("welcome");
  const formError = document.getElementById("form-error");
  const scroller = document.getElementById("chat-main");
  let conversationId = sessionStorage.getItem(KEY) || null;
  let busy = false;

  function setConversation(id) {
    conversationId = id || null;
    if (id) sessionStorage.setItem(KEY, id); else sessionStorage.removeItem(KEY);
  }

  function showFormError(message) {
    formError.textContent = message || "";
    formError.hidden = !message;
  }

  function citationLabel(c) {
    return `${c.title}${c.section ? " " + c.section : ""}`;
  }

  /** One card per cited document, listing the places it is cited (第十四条, 三、申报材料…) with their quotes. */
  function sourceCard(cites) {
    const c = cites[0];
    const repealed = c.status === "已废止";
    return el("li", { class: "source" + (repealed ? " is-repealed" : ""), dataset: { n: cites.map((x) => x.n).join(" ") } },
      el("button", { type: "button", class: "source-open", title: "查看原文并定位到引用段落",
        onclick: () => openDocument(c.doc_id, c.start, c.end, citationLabel(c)) },
        el("span", { class: "source-title", text: `《${c.title}》` })),
      el("span", { class: "source-facts" },
        c.doc_number ? el("span", { class: "doc-number", text: c.doc_number }) : null,
        statusBadge(c.status), sampleBadge(c.sample)),
      repealed || c.replaced_by_title
        ? el("span", { class: "replaced", text: c.replaced_by_title ? `已由《${c.replaced_by_title}》替代` : "该文件已废止，仅供参考" })
        : null,
      el("ol", { class: "source-places" }, cites.map((x) => el("li", { class: "source-place", dataset: { n: String(x.n) } },
        el("button", { type: "button", class: "place-open", title: "查看原文并定位到这一段",
          onclick: () => openDocument(x.doc_id, x.start, x.end, citationLabel(x)) },
          el("span", { class: "source-n", text: `[${x.n}]` }),
          el("span", { class: "section", text: x.section || "正文" })),
        x.quote ? el("blockquote", { class: "quote", text: x.quote }) : null))));
  }

  function byDocument(citations) {
    const groups = new Map();
    for (const c of citations) {
      if (!groups.has(c.doc_id)) groups.set(c.doc_id, []);
      groups.get(c.doc_id).push(c);
    }
    return [...groups.values()];
  }

  function copyPayload(answer) {
    const lines = [answer.answer];
    if (answer.citations && answer.citations.length) {
      lines.push("", "参考来源：");
      for (const c of answer.citations) {
        lines.push(`[${c.n}] 《${c.title}》${c.doc_number ? "（" + c.doc_number + "）" : ""}${c.section ? " " + c.section : ""}${c.status && c.status !== "现行" ? "〔" + c.status + "〕" : ""}`);
      }
    }
    return lines.join("\n");
  }

  function feedbackBar(turn) {
    const status = el("span", { class: "feedback-status", role: "status" });
    const correction = el("form", { class: "correction", hidden: true },
      el("label", { text: "您认为正确的答复或补充说明：" },
        el("textarea", { name: "comment", rows: "3", maxlength: "4000", required: true })),
      el("div", { class: "row" },
        el("button", { type: "submit", class: "primary small", text: "提交纠错" }),
        el("button", { type: "button", class: "ghost small", text: "取消", onclick: () => { correction.hidden = true; } })));
    const buttons = [];
    // A rating (helpful / not helpful) is given once; a correction can still follow it.
    const group = (rating) => buttons.filter((b) => (rating === "correction") === b.classList.contains("fb-correction"));
    async function submit(rating, comment) {
      if (!turn.messageId) return;
      group(rating).forEach((b) => { b.disabled = true; });
      try {
        await api("/api/feedback", { rating, comment: comment || "", conversation_id: turn.conversationId, message_id: turn.messageId });
        status.textContent = "已收到反馈，谢谢！";
        correction.hidden = true;
        turn.node.querySelector(`.fb-${rating}`)?.classList.add("chosen");
      } catch (e) {
        status.textContent = e.message;
        group(rating).forEach((b) => { b.disabled = false; });
      }
    }
    correction.addEventListener("submit", (e) => {
      e.preventDefault();
      const comment = correction.elements.comment.value.trim();
      if (comment) submit("correction", comment);
    });
    const copyBtn = el("button", { type: "button", class: "ghost small copy", text: "复制回答",
      onclick: async () => flash(copyBtn, (await copyText(copyPayload(turn.answer))) ? "已复制" : "复制失败") });
    buttons.push(
      el("button", { type: "button", class: "ghost small fb-helpful", text: "有帮助", onclick: () => submit("helpful") }),
      el("button", { type: "button", class: "ghost small fb-not_helpful", text: "没帮助", onclick: () => submit("not_helpful") }),
      el("button", { type: "button", class: "ghost small fb-correction", text: "纠错",
        onclick: () => { correction.hidden = false; correction.elements.comment.focus(); } }));
    return el("div", { class: "answer-footer" }, el("div", { class: "actions" }, copyBtn, ...buttons, status), correction);
  }

  function newTurn(question) {
    welcome.hidden = true;
    const text = el("div", { class: "answer-text streaming" });
    const node = el("li", { class: "turn" },
      el("div", { class: "msg user" }, el("p", { class: "question", text: question })),
      el("div", { class: "msg bot" }, text, el("div", { class: "answer-extra" })));
    turns.append(node);
    node.scrollIntoView({ block: "start" });
    return { node, text, extra: node.querySelector(".answer-extra"), streamed: "", answer: null, messageId: null, conversationId: null };
  }

  function finishTurn(turn, answer) {
    turn.answer = answer;
    turn.text.classList.remove("streaming");
    const byN = new Map((answer.citations || []).map((c) => [c.n, c]));
    renderCited(turn.text, answer.answer, answer.citations, (n) => {
      const c = byN.get(n);
      if (c) openDocument(c.doc_id, c.start, c.end, citationLabel(c));
    });
    const extra = turn.extra;
    extra.textContent = "";
    // Notices already written into the answer text (a superseded source) are not repeated below it.
    for (const notice of answer.notices || []) {
      if (!(answer.answer || "").includes(notice)) extra.append(el("p", { class: "notice", role: "note", text: notice }));
    }
    if (answer.citations && answer.citations.length) {
      extra.append(el("h3", { class: "sources-title", text: "参考来源" }),
        el("ol", { class: "sources" }, byDocument(answer.citations).map(sourceCard)));
    }
    const suggestions = (answer.suggestions || []).filter((s) => s && (s.title || s.question));
    if (suggestions.length) {
      extra.append(el("h3", { class: "sources-title", text: "可能相关的文件" }),
        el("ul", { class: "related-docs" }, suggestions.map((s) => el("li", {},
          s.doc_id
            ? el("button", { type: "button", class: "link", text: `《${s.title || s.question}》`, onclick: () => openDocument(s.doc_id, s.start, s.end) })
            : el("span", { text: s.title || s.question }),
          s.status ? statusBadge(s.status) : null))));
    }
    if (turn.messageId) extra.append(feedbackBar(turn));
  }

  function failTurn(turn, message) {
    turn.text.classList.remove("streaming");
    turn.extra.append(el("p", { class: "error", role: "alert", text: message }));
  }

  async function ask(question, retried) {
    const turn = newTurn(question);
    let final = null;
    try {
      await streamPost("/api/chat", { message: question, conversation_id: conversationId, stream: true }, (name, data) => {
        if (name === "meta") setConversation(data.conversation_id);
        else if (name === "delta") {
          // Follow the growing answer only while the reader is at the bottom.
          const following = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 60;
          turn.streamed += data.text;
          turn.text.textContent = turn.streamed;
          turn.node.dataset.deltas = String(Number(turn.node.dataset.deltas || 0) + 1); // for tests and debugging
          if (following) scroller.scrollTop = scroller.scrollHeight;
        } else if (name === "answer") final = data; // replaces the streamed text once citations arrive
        else if (name === "citations") { if (final) final.citations = data.citations; }
        else if (name === "done") {
          turn.messageId = data.message_id;
          turn.conversationId = data.conversation_id;
          if (final) finishTurn(turn, final);
        } else if (name === "error") failTurn(turn, (data.error && data.error.message) || "生成回答时出错");
      });
      if (!final && !turn.extra.querySelector(".error")) failTurn(turn, "回答未完成，请重试");
    } catch (e) {
      turn.node.remove();
      if (e.code === "conversation_not_found" && !retried) {
        setConversation(null);
        showFormError("之前的会话已过期，已为您开始新的对话。");
        return ask(question, true);
      }
      if (!turns.children.length) welcome.hidden = false;
      showFormError(e.message);
      input.value = question;
    }
  }

  async function submit(question) {
    question = (question || "").trim();
    if (busy) return;
    if (!question) { showFormError("请输入您的问题"); input.focus(); return; }
    showFormError("");
    busy = true;
    send.disabled = true;
    input.value = "";
    autosize();
    try { await ask(question, false); } finally {
      busy = false;
      send.disabled = false;
      input.focus();
    }
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 160) + "px";
  }

  async function restore() {
    if (!conversationId) return;
    try {
      const data = await api("/api/conversations/" + encodeURIComponent(conversationId));
      for (const t of data.turns) {
        const turn = newTurn(t.question);
        turn.messageId = t.message_id;
        turn.conversationId = conversationId;
        finishTurn(turn, t.answer);
      }
    } catch (e) {
      setConversation(null); // expired: start fresh quietly
    }
  }

  async function sampleBanner() {
    try {
      const data = await api("/api/documents");
      document.getElementById("sample-banner").hidden = !data.documents.some((d) => d.sample);
    } catch (e) {
      if (e.code === "index_not_ready") showFormError(e.message);
    }
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); submit(input.value); });
  input.addEventListener("keydown", (e) => {
    // isComposing: Enter that confirms a Chinese IME candidate must not send the question.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit(input.value);
    }
  });
  input.addEventListener("input", autosize);
  document.getElementById("suggested").addEventListener("click", (e) => {
    const b = e.target.closest("button.suggestion");
    if (b) submit(b.textContent);
  });
  document.getElementById("new-chat").addEventListener("click", () => {
    setConversation(null);
    turns.textContent = "";
    welcome.hidden = false;
    showFormError("");
    input.focus();
  });

  sampleBanner();
  restore();
})();
