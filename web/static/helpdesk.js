/* The help-desk view: retrieved passages with scores, tick the ones to use, regenerate a draft from those
   only, edit it in the formal reply template, copy it with its citation list. */
"use strict";

(() => {
  const { el, api, statusBadge, sampleBadge, article, formatDate, copyText, flash, openDocument } = QPA;
  const $ = (id) => document.getElementById(id);
  const form = $("hd-form"), questionBox = $("hd-question"), searchBtn = $("hd-search"), errorBox = $("hd-error");
  const passagesList = $("passages"), hint = $("passages-hint"), regenerate = $("regenerate");
  const draftBox = $("draft"), citationsList = $("draft-citations"), notices = $("draft-notices"), basis = $("draft-basis");
  const copyBtn = $("copy-draft"), resetBtn = $("reset-draft");
  let question = "";
  let hits = [];
  let draft = null; // {answer payload, text}

  function showError(message) {
    errorBox.textContent = message || "";
    errorBox.hidden = !message;
  }

  function busy(on) {
    for (const b of [searchBtn, regenerate, $("tick-all"), $("tick-none")]) b.disabled = on || (b !== searchBtn && !hits.length);
    document.body.classList.toggle("is-busy", on);
  }

  /** 《A》（文号）第十四条、第十五条，《B》第三条 — one mention per document, each article once. */
  function basisText(cites) {
    const docs = new Map();
    for (const c of cites) {
      if (!docs.has(c.doc_id)) docs.set(c.doc_id, { c, articles: [] });
      const a = article(c.section);
      const entry = docs.get(c.doc_id);
      if (a && !entry.articles.includes(a)) entry.articles.push(a);
    }
    return [...docs.values()].map(({ c, articles }) =>
      `《${c.title}》${c.doc_number ? "（" + c.doc_number + "）" : ""}${articles.join("、")}`).join("，");
  }

  /** The formal reply template around the drafted answer. */
  function formalReply(q, answer) {
    const lines = ["尊敬的企业：", "", `　　您好！关于您咨询的“${q}”，经查询相关政策文件，现答复如下：`, ""];
    for (const para of answer.answer.split(/\n+/).filter((p) => p.trim())) lines.push("　　" + para.trim());
    const cites = answer.citations || [];
    if (cites.length) lines.push("", "　　依据" + basisText(cites) + "。");
    for (const notice of answer.notices || []) lines.push("　　（" + notice + "）");
    lines.push("", "　　以上答复供参考，具体以政策文件原文及主管部门解释为准。", "",
      "城阳区市场监督管理局", formatDate(new Date()));
    return lines.join("\n");
  }

  function citationLines(cites) {
    return cites.map((c) => `[${c.n}] 《${c.title}》${c.doc_number ? "（" + c.doc_number + "）" : ""}${c.section ? " " + c.section : ""}` +
      `${c.status && c.status !== "现行" ? "〔" + c.status + "〕" : ""}：“${c.quote}”`);
  }

  function renderPassages() {
    passagesList.textContent = "";
    hint.textContent = hits.length ? `共 ${hits.length} 段；分数为检索相关度（越高越相关）。` : "没有检索到相关段落。";
    hits.forEach((h, i) => {
      const id = "p-" + i;
      const repealed = h.status === "已废止";
      passagesList.append(el("li", { class: "passage" + (repealed ? " is-repealed" : ""), dataset: { chunk: h.chunk_id } },
        el("div", { class: "passage-head" },
          el("input", { type: "checkbox", id, class: "tick", checked: h.ticked, onchange: (e) => { h.ticked = e.target.checked; } }),
          el("label", { for: id, class: "passage-title" },
            el("span", { class: "rank", text: `#${h.rank}` }),
            el("span", { text: `《${h.title}》` })),
          el("span", { class: "score", title: "相关度分数", text: h.score.toFixed(4) })),
        el("div", { class: "source-facts" },
          h.doc_number ? el("span", { class: "doc-number", text: h.doc_number }) : null,
          h.section ? el("span", { class: "section", text: h.section }) : null,
          statusBadge(h.status), sampleBadge(h.sample),
          el("button", { type: "button", class: "link small", text: "查看原文",
            onclick: () => openDocument(h.doc_id, h.start, h.end, h.title) })),
        el("p", { class: "passage-text", text: h.text })));
    });
    busy(false);
  }

  function renderDraft(answer, basisText) {
    draft = { answer, text: formalReply(question, answer) };
    draftBox.value = draft.text;
    basis.textContent = basisText;
    notices.textContent = "";
    if (!answer.found) notices.append(el("p", { class: "notice", text: "未在所选依据中找到明确答案，请核实后再答复。" }));
    for (const n of answer.notices || []) notices.append(el("p", { class: "notice", text: n }));
    // 政策体检: the caller's facts were checked against the programme's conditions (verdict is in the draft).
    for (const r of answer.eligibility || []) {
      const verdict = { eligible: "符合条件", need_info: "需补充信息", not_eligible: "不符合条件" }[r.verdict] || r.verdict;
      notices.append(el("p", { class: "notice eligibility-notice", text: `已按来电所述情况完成政策体检：“${r.program}”${verdict}，逐项核对结果已写入草稿。` }));
    }
    citationsList.textContent = "";
    for (const c of answer.citations || []) {
      citationsList.append(el("li", { class: "source" + (c.status === "已废止" ? " is-repealed" : "") },
        el("button", { type: "button", class: "source-open", onclick: () => openDocument(c.doc_id, c.start, c.end, c.title) },
          el("span", { class: "source-n", text: `[${c.n}]` }), el("span", { class: "source-title", text: `《${c.title}》` })),
        el("span", { class: "source-facts" },
          c.doc_number ? el("span", { class: "doc-number", text: c.doc_number }) : null,
          c.section ? el("span", { class: "section", text: c.section }) : null,
          statusBadge(c.status), sampleBadge(c.sample)),
        el("blockquote", { class: "quote", text: c.quote })));
    }
    copyBtn.disabled = resetBtn.disabled = false;
  }

  /** Tick the passages the draft cites (same document, overlapping span); else the top five. */
  function tickCited(answer) {
    const cites = answer.citations || [];
    let any = false;
    for (const h of hits) {
      h.ticked = cites.some((c) => c.doc_id === h.doc_id && c.start < h.end && h.start < c.end);
      any = any || h.ticked;
    }
    if (!any) hits.forEach((h, i) => { h.ticked = i < 5; });
  }

  async function draftFor(chunkIds) {
    const body = { message: question, stream: false };
    if (chunkIds) body.chunk_ids = chunkIds;
    return api("/api/chat", body);
  }

  async function start(q) {
    q = (q || "").trim();
    if (!q) { showError("请输入问题"); return; }
    showError("");
    question = q;
    busy(true);
    hint.textContent = "正在检索……";
    draftBox.value = "";
    citationsList.textContent = notices.textContent = basis.textContent = "";
    try {
      const [search, answer] = await Promise.all([api("/api/search", { query: q, k: 10 }), draftFor(null)]);
      hits = search.hits.map((h) => ({ ...h, ticked: false }));
      tickCited(answer);
      renderPassages();
      renderDraft(answer, "依据：系统自动检索");
    } catch (e) {
      hits = [];
      renderPassages();
      showError(e.message);
    } finally {
      busy(false);
    }
  }

  async function regenerateDraft() {
    const ids = hits.filter((h) => h.ticked).map((h) => h.chunk_id);
    if (!ids.length) { showError("请至少勾选一个段落"); return; }
    showError("");
    busy(true);
    try {
      const answer = await draftFor(ids);
      renderDraft(answer, `依据：已勾选的 ${ids.length} 个段落`);
    } catch (e) {
      showError(e.message);
    } finally {
      busy(false);
    }
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); start(questionBox.value); });
  questionBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); start(questionBox.value); }
  });
  regenerate.addEventListener("click", regenerateDraft);
  $("tick-all").addEventListener("click", () => { hits.forEach((h) => { h.ticked = true; }); renderPassages(); });
  $("tick-none").addEventListener("click", () => { hits.forEach((h) => { h.ticked = false; }); renderPassages(); });
  resetBtn.addEventListener("click", () => { if (draft) draftBox.value = draft.text; });
  copyBtn.addEventListener("click", async () => {
    const cites = (draft && draft.answer.citations) || [];
    const text = draftBox.value + (cites.length ? "\n\n引用依据：\n" + citationLines(cites).join("\n") : "");
    flash(copyBtn, (await copyText(text)) ? "已复制" : "复制失败");
  });

  api("/api/documents").then((d) => { $("sample-banner").hidden = !d.documents.some((x) => x.sample); }).catch(() => {});
})();
