/* Admin page: the eligibility rules of the open document beside its source text (each rule's clause
   highlighted), with "correct" and "mark review" actions (PUT/POST /api/admin/eligibility/rules/...). */
"use strict";

(() => {
  const { el, api } = QPA;
  const KINDS = { required: "必备条件", exclusion: "不得申报情形", preference: "优先条件", review: "由评审认定" };
  let fieldLabels = {};
  let libraryId = null;

  function ruleSummary(rule) {
    if (rule.kind === "review" || !rule.field) return "由评审认定（不自动判断）";
    const value = rule.value === null || rule.value === undefined ? ""
      : (typeof rule.value === "object" ? JSON.stringify(rule.value) : String(rule.value)) + (rule.unit || "");
    const win = rule.window ? ` 时间窗 ${rule.window.years} 年` : "";
    return `${fieldLabels[rule.field] || rule.field} ${rule.operator} ${value}${win}`.replace(/\s+/g, " ");
  }

  function sourceText(doc) {
    // The text with every rule's clause marked, so an admin reads each rule against its words.
    const spans = [...new Map(doc.rules.map((r) => [r.span.start + ":" + r.span.end, r.span])).values()]
      .sort((a, b) => a.start - b.start);
    const box = el("div", { class: "rules-source" });
    let pos = 0;
    for (const s of spans) {
      if (s.start < pos) continue;
      box.append(document.createTextNode(doc.text.slice(pos, s.start)),
        el("mark", { class: "rule-span", id: `span-${doc.doc_id}-${s.start}`, text: doc.text.slice(s.start, s.end) }));
      pos = s.end;
    }
    box.append(document.createTextNode(doc.text.slice(pos)));
    return box;
  }

  async function act(method, path, body, status) {
    try {
      await api(path, body, { method });
      status.textContent = "已保存";
      await load();
    } catch (err) {
      status.textContent = err.message;
      status.className = "form-error";
    }
  }

  function ruleItem(rule) {
    const status = el("span", { class: "muted rule-status" });
    const key = encodeURIComponent(rule.key);
    const editor = el("textarea", { class: "rule-editor", rows: "3", hidden: true,
      value: JSON.stringify({ field: rule.field, operator: rule.operator, value: rule.value, unit: rule.unit,
                              window: rule.window, kind: rule.kind }) });
    const save = el("button", { type: "button", class: "primary small", text: "保存更正", hidden: true, onclick: () => {
      let changes;
      try { changes = JSON.parse(editor.value); } catch (e) { status.textContent = "不是有效的 JSON"; return; }
      act("PUT", `/api/admin/eligibility/rules/${key}`, { changes }, status);
    } });
    const correction = rule.correction;
    const shown = correction ? { ...rule, ...correction.changes } : rule;
    return el("li", { class: "rule-item", dataset: { kind: shown.kind, key: rule.key } },
      el("div", {}, el("span", { class: "badge status-other", text: KINDS[shown.kind] || shown.kind }), " ",
        el("span", { class: "rule-program", text: rule.program }), " · ", el("span", { text: rule.span.section })),
      el("div", { class: "rule-quote", text: "“" + rule.text + "”" }),
      el("div", { class: "rule-summary", text: ruleSummary(shown) }),
      correction ? el("div", { class: correction.flag ? "form-error" : "muted",
        text: correction.flag || `已由 ${correction.actor} 人工更正` }) : null,
      el("div", { class: "row" },
        el("button", { type: "button", class: "ghost small", text: "更正", onclick: () => { editor.hidden = save.hidden = false; } }),
        shown.kind !== "review" ? el("button", { type: "button", class: "ghost small mark-review", text: "标为评审认定",
          onclick: () => act("POST", `/api/admin/eligibility/rules/${key}/review`, {}, status) }) : null,
        correction ? el("button", { type: "button", class: "ghost small", text: "撤销更正",
          onclick: () => act("DELETE", `/api/admin/eligibility/rules/${key}/correction`, undefined, status) }) : null,
        status),
      editor, save);
  }

  async function load() {
    const panel = document.getElementById("dlg-rules");
    if (!panel || libraryId === null) return;
    let data;
    try {
      data = await api(`/api/admin/eligibility/documents/${libraryId}/rules`);
    } catch (err) {
      panel.replaceChildren(el("p", { class: "muted", text: err.message }));
      return;
    }
    fieldLabels = data.fields || {};
    const withRules = data.documents.filter((d) => d.rules.length);
    if (!withRules.length) {
      panel.replaceChildren(el("p", { class: "muted", text: "此文档没有提取到申报条件。" }));
      return;
    }
    panel.replaceChildren(...withRules.map((doc) => el("div", { class: "rules-doc" },
      el("h4", { text: doc.title }),
      el("div", { class: "rules-grid" }, sourceText(doc), el("ol", { class: "rules-list" }, doc.rules.map(ruleItem))))));
  }

  document.addEventListener("admin:doc-open", (ev) => {
    libraryId = ev.detail.id;
    load();
  });
})();
