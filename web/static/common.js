/* Shared by the chat and help-desk pages: API calls, an SSE reader, safe DOM building, badges and the
   document viewer. Every text from documents or users goes through textContent, never innerHTML. */
"use strict";

const QPA = (() => {
  /** Build an element; children are nodes or strings (strings become text nodes, never HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "value") node.value = value;
      else if (key === "checked") node.checked = !!value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || `请求失败（${status}）`);
      this.status = status;
      this.code = err.code || "http_" + status;
      this.body = body;
    }
  }

  // The admin session's anti-CSRF token (from sign-in or /api/admin/me), sent with every change: the
  // service refuses a cookie-authenticated change without it, so another site cannot act with the cookie.
  let csrfToken = "";
  function setCsrfToken(token) { csrfToken = token || ""; }

  /** JSON API call: GET without a body, POST with one unless options.method says otherwise; a FormData
   *  body is sent as multipart. Failures throw ApiError with the service's Chinese message. */
  async function api(path, body, options = {}) {
    const init = { method: body === undefined ? "GET" : "POST", credentials: "same-origin", ...options,
                   headers: { Accept: "application/json" } };
    if (csrfToken && !["GET", "HEAD"].includes(init.method.toUpperCase())) init.headers["X-CSRF-Token"] = csrfToken;
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      if (e.name === "AbortError") throw e;
      throw new ApiError(0, { error: { message: "无法连接服务，请检查网络后重试", code: "network" } });
    }
    let data = null;
    try { data = await response.json(); } catch (e) { /* not JSON */ }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  /** POST and read Server-Sent Events; onEvent(name, data) for each. Errors before the stream are ApiError. */
  async function streamPost(path, body, onEvent, signal) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST", signal,
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
      });
    } catch (e) {
      if (e.name === "AbortError") throw e;
      throw new ApiError(0, { error: { message: "无法连接服务，请检查网络后重试", code: "network" } });
    }
    if (!response.ok) {
      let data = null;
      try { data = await response.json(); } catch (e) { /* not JSON */ }
      throw new ApiError(response.status, data);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder("utf-8");
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let name = "message";
        const lines = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) lines.push(line.slice(5).replace(/^ /, ""));
        }
        if (!lines.length) continue;
        let data;
        try { data = JSON.parse(lines.join("\n")); } catch (e) { continue; }
        onEvent(name, data);
      }
    }
  }

  const STATUS_CLASS = { "现行": "status-current", "已修订": "status-revised", "已废止": "status-repealed" };

  function statusBadge(status) {
    const s = status || "现行";
    return el("span", { class: "badge " + (STATUS_CLASS[s] || "status-other"), title: "文件状态", text: s });
  }

  function sampleBadge(sample) {
    return sample ? el("span", { class: "badge sample", title: "示例文本：条款与金额为虚构，仅供演示", text: "示例" }) : null;
  }

  /** The article part of a heading path, as cited in a reply:
      "第五章 奖励 > 第十四条 > （一）区长质量奖（组织）" -> "第十四条第（一）项". */
  function article(section) {
    if (!section) return "";
    const parts = section.split(">").map((s) => s.trim()).filter(Boolean);
    for (let i = parts.length - 1; i >= 0; i--) {
      const m = parts[i].match(/第[一二三四五六七八九十百零〇\d]+条(第[一二三四五六七八九十\d]+款)?/);
      if (!m) continue;
      const item = i + 1 < parts.length && parts[i + 1].match(/^（[一二三四五六七八九十\d]+）/);
      return m[0] + (item ? "第" + item[0] + "项" : "");
    }
    return parts[parts.length - 1] || "";
  }

  /** Answer text with [n] marks turned into buttons that call onCite(n). */
  function renderCited(container, text, citations, onCite) {
    container.textContent = "";
    const known = new Set((citations || []).map((c) => c.n));
    const re = /\[(\d+)\]/g;
    let last = 0, m;
    while ((m = re.exec(text)) !== null) {
      const n = Number(m[1]);
      if (!known.has(n)) continue;
      if (m.index > last) container.append(document.createTextNode(text.slice(last, m.index)));
      container.append(el("button", { type: "button", class: "cite", dataset: { n: String(n) },
        title: "查看出处原文", "aria-label": `查看出处 ${n}`, onclick: () => onCite(n) }, `[${n}]`));
      last = re.lastIndex;
    }
    if (last < text.length) container.append(document.createTextNode(text.slice(last)));
  }

  function formatDate(d) {
    return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`;
  }

  async function copyText(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return true;
      }
    } catch (e) { /* fall back below */ }
    const area = el("textarea", { class: "offscreen", readonly: true });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }

  function flash(button, message) {
    const original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = message;
    setTimeout(() => { button.textContent = original; }, 1600);
  }

  // --- document viewer -----------------------------------------------------------------------------

  const docCache = new Map();

  async function fetchDocument(docId) {
    if (!docCache.has(docId)) {
      const p = api("/api/documents/" + encodeURIComponent(docId));
      docCache.set(docId, p);
      p.catch(() => docCache.delete(docId));
    }
    return docCache.get(docId);
  }

  let viewer = null;
  let lastFocus = null;

  function buildViewer() {
    const closeBtn = el("button", { type: "button", class: "viewer-close", "aria-label": "关闭原文", text: "关闭" });
    const panel = el("section", { id: "viewer", class: "viewer", role: "dialog", "aria-modal": "true",
      "aria-labelledby": "viewer-title", hidden: true },
      el("header", { class: "viewer-head" },
        el("div", { class: "viewer-heading" },
          el("h2", { id: "viewer-title" }),
          el("div", { class: "viewer-badges" })),
        closeBtn),
      el("div", { class: "viewer-meta" }),
      el("div", { class: "viewer-related" }),
      el("div", { class: "viewer-body", tabindex: "0" }, el("div", { class: "doc-text" })));
    const backdrop = el("div", { class: "viewer-backdrop", hidden: true });
    document.body.append(backdrop, panel);
    const close = () => {
      panel.hidden = true;
      backdrop.hidden = true;
      document.body.classList.remove("viewer-open");
      if (lastFocus) lastFocus.focus();
    };
    closeBtn.addEventListener("click", close);
    backdrop.addEventListener("click", close);
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel.hidden) close(); });
    return { panel, backdrop, close };
  }

  /** Open a document with [start, end) highlighted and scrolled into view. */
  async function openDocument(docId, start, end, label) {
    viewer = viewer || buildViewer();
    lastFocus = document.activeElement;
    const { panel, backdrop } = viewer;
    const title = panel.querySelector("#viewer-title");
    const badges = panel.querySelector(".viewer-badges");
    const meta = panel.querySelector(".viewer-meta");
    const related = panel.querySelector(".viewer-related");
    const textBox = panel.querySelector(".doc-text");
    title.textContent = label || "正在加载原文……";
    badges.textContent = meta.textContent = related.textContent = textBox.textContent = "";
    panel.hidden = false;
    backdrop.hidden = false;
    document.body.classList.add("viewer-open");
    panel.querySelector(".viewer-close").focus();
    let doc;
    try {
      doc = await fetchDocument(docId);
    } catch (e) {
      textBox.append(el("p", { class: "error", text: e.message }));
      return;
    }
    const m = doc.meta;
    title.textContent = m.title || m.source;
    badges.append(statusBadge(m.status), sampleBadge(m.sample));
    const facts = [["文号", m.doc_number], ["发文机关", m.issuer], ["发布日期", m.issue_date],
      ["施行日期", m.effective_date], ["有效期至", m.expiry_date], ["来源文件", m.source]];
    meta.append(el("dl", {}, facts.filter(([, v]) => v).map(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])));
    if (m.sample && m.note) meta.append(el("p", { class: "sample-note", text: m.note }));
    if (doc.related.replaced_by) {
      related.append(el("p", { class: "notice repealed" }, "本文件已被替代，现行文件：",
        el("button", { type: "button", class: "link", text: "《" + doc.related.replaced_by.title + "》",
          onclick: () => openDocument(doc.related.replaced_by.doc_id) })));
    }
    const text = doc.text;
    const s = Number.isInteger(start) ? Math.max(0, Math.min(start, text.length)) : null;
    const t = Number.isInteger(end) ? Math.max(s || 0, Math.min(end, text.length)) : null;
    if (s !== null && t !== null && t > s) {
      const mark = el("mark", { class: "cited", id: "cited-span", text: text.slice(s, t) });
      textBox.append(document.createTextNode(text.slice(0, s)), mark, document.createTextNode(text.slice(t)));
      requestAnimationFrame(() => mark.scrollIntoView({ block: "center" }));
    } else {
      textBox.textContent = text;
      panel.querySelector(".viewer-body").scrollTop = 0;
    }
  }

  function showError(container, message) {
    container.textContent = "";
    container.append(el("p", { class: "error", role: "alert", text: message }));
  }

  return { el, api, setCsrfToken, streamPost, ApiError, statusBadge, sampleBadge, article, renderCited, formatDate, copyText,
    flash, openDocument, showError };
})();
