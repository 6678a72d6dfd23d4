/* 政策体检 (/check): a form built from the fields the rules use; the profile stays in this browser
   (localStorage only when the user ticks the box); verdicts with ✓ ✗ ? per condition, each cited. */
"use strict";

(() => {
  const { el, api, openDocument, showError } = QPA;
  const STORE_KEY = "qpa-check-profile";
  const MARKS = { met: "✓", unmet: "✗", unknown: "?", review: "…" };
  const MARK_TEXT = { met: "满足", unmet: "不满足", unknown: "未知", review: "由评审认定" };
  const VERDICTS = { eligible: "符合条件", need_info: "需补充信息", not_eligible: "不符合条件" };
  const KINDS = { exclusion: "不得申报情形", preference: "优先条件", review: "评审认定" };
  const CHOICE_TEXT = { product: "产品", service: "服务" };
  const form = document.getElementById("profile-form");
  const fieldsBox = document.getElementById("fields");
  const results = document.getElementById("results");
  const formError = document.getElementById("form-error");
  const remember = document.getElementById("remember");
  const asOf = document.getElementById("as-of");
  let fields = [];

  function input(f) {
    const id = "f-" + f.field;
    if (f.kind === "boolean") {
      return el("select", { id, name: f.field }, el("option", { value: "", text: "未填" }),
        el("option", { value: "true", text: "是" }), el("option", { value: "false", text: "否" }));
    }
    if (f.choices) {
      return el("select", { id, name: f.field }, el("option", { value: "", text: "未填" }),
        f.choices.map((c) => el("option", { value: c, text: CHOICE_TEXT[c] || c })));
    }
    if (f.kind === "date") return el("input", { id, name: f.field, type: "date" });
    if (f.kind === "number" || f.kind === "integer") {
      return el("input", { id, name: f.field, type: "number", min: "0", step: f.kind === "integer" ? "1" : "any", inputmode: "decimal" });
    }
    const placeholders = {
      dates: "每行一个日期，如 2024-05-01；没有请填“无”",
      awards: "每行一项：名称 年份，如 青岛市市长质量奖 2021；没有请填“无”",
      standards: "每行一项：级别 主导/参与，如 国家 主导；没有请填“无”",
      list: "用逗号分隔；没有请填“无”",
    };
    if (placeholders[f.kind]) return el("textarea", { id, name: f.field, rows: "2", placeholder: placeholders[f.kind] });
    return el("input", { id, name: f.field, type: "text" });
  }

  function buildForm() {
    const groups = new Map();
    for (const f of fields) {
      if (!groups.has(f.group)) groups.set(f.group, []);
      groups.get(f.group).push(f);
    }
    fieldsBox.textContent = "";
    for (const [group, items] of groups) {
      fieldsBox.append(el("fieldset", {}, el("legend", { text: group }), items.map((f) => {
        const wide = ["dates", "awards", "standards", "list"].includes(f.kind) || f.kind === "string" && !f.choices;
        return el("div", { class: "check-field" + (wide ? " wide" : ""), dataset: { field: f.field } },
          el("label", { for: "f-" + f.field, text: f.label }), input(f));
      })));
    }
  }

  function lines(value) {
    return value.split(/[\n,，、;；]+/).map((s) => s.trim()).filter(Boolean);
  }

  /** The profile from the form: empty inputs are left out (unknown), "无" is an empty list. */
  function readProfile() {
    const profile = {};
    for (const f of fields) {
      const node = form.elements[f.field];
      const raw = (node.value || "").trim();
      if (!raw) continue;
      if (f.kind === "boolean") profile[f.field] = raw === "true";
      else if (f.kind === "number" || f.kind === "integer") profile[f.field] = Number(raw);
      else if (["dates", "list", "awards", "standards"].includes(f.kind) && /^(无|没有)$/.test(raw)) profile[f.field] = [];
      else if (f.kind === "dates" || f.kind === "list") profile[f.field] = lines(raw);
      else if (f.kind === "awards") {
        profile[f.field] = raw.split("\n").map((s) => s.trim()).filter(Boolean).map((s) => {
          const m = s.match(/^(.*?)[\s,，]*((?:19|20)\d{2})\s*年?$/);
          return m ? { name: m[1].trim(), year: Number(m[2]) } : { name: s, year: NaN };
        });
      } else if (f.kind === "standards") {
        profile[f.field] = raw.split("\n").map((s) => s.trim()).filter(Boolean).map((s) => {
          const [level, role] = s.split(/[\s,，]+/);
          return { level: (level || "").replace(/标准$/, ""), role: role || "主导" };
        });
      } else profile[f.field] = raw;
    }
    return profile;
  }

  function fillForm(profile) {
    for (const f of fields) {
      const node = form.elements[f.field];
      const v = profile[f.field];
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) {
        if (!v.length) node.value = "无";
        else if (f.kind === "awards") node.value = v.map((a) => `${a.name} ${a.year}`).join("\n");
        else if (f.kind === "standards") node.value = v.map((s) => `${s.level} ${s.role}`).join("\n");
        else node.value = v.join(f.kind === "dates" ? "\n" : "，");
      } else node.value = String(v);
    }
  }

  function citeButton(c) {
    const label = `《${c.title}》${c.doc_number ? "（" + c.doc_number + "）" : ""} ${c.section}`;
    return el("button", { type: "button", class: "link cite-link", text: label,
      onclick: () => openDocument(c.doc_id, c.start, c.end, c.section) });
  }

  function renderProgram(p) {
    const conditions = p.conditions.map((c) => el("li", { class: "condition " + c.status, dataset: { status: c.status } },
      el("span", { class: "mark " + c.status, title: MARK_TEXT[c.status], "aria-label": MARK_TEXT[c.status], text: MARKS[c.status] }),
      el("div", {},
        KINDS[c.kind] ? el("span", { class: "cond-kind", text: "［" + KINDS[c.kind] + "］" }) : null,
        el("span", { class: "cond-text", text: c.text }),
        c.note && c.status !== "review" ? el("span", { class: "cond-note", text: " —— " + c.note }) : null,
        el("div", {}, citeButton(c.citation)))));
    const extra = [];
    if (p.need_fields.length) extra.push(el("p", { class: "need", text: "需补充：" + p.need_fields.map((f) => f.label).join("、") }));
    if (p.reward) extra.push(el("p", { class: "program-extra" }, "支持内容：" + p.reward.text + " ", citeButton(p.reward.citation)));
    if (p.deadline) extra.push(el("p", { class: "program-extra" }, "申报时间：" + p.deadline.text + (p.deadline.passed ? "（已截止）" : "") + " ", citeButton(p.deadline.citation)));
    if (p.where) extra.push(el("p", { class: "program-extra", text: "受理地点：" + p.where.text }));
    return el("article", { class: "program-card", dataset: { verdict: p.verdict, program: p.program } },
      el("h2", {}, el("span", { class: "program-name", text: p.program }),
        el("span", { class: "verdict " + p.verdict, text: VERDICTS[p.verdict] })),
      el("ul", { class: "conditions" }, conditions), extra);
  }

  function markInvalid(errors) {
    for (const node of form.querySelectorAll(".check-field.invalid")) node.classList.remove("invalid");
    for (const e of errors || []) {
      const box = form.querySelector(`.check-field[data-field="${(e.path || [])[0]}"]`);
      if (box) box.classList.add("invalid");
    }
  }

  async function run(event) {
    event.preventDefault();
    formError.hidden = true;
    const profile = readProfile();
    if (remember.checked) localStorage.setItem(STORE_KEY, JSON.stringify(profile));
    else localStorage.removeItem(STORE_KEY);
    const body = { profile };
    if (asOf.value) body.as_of = asOf.value;
    try {
      const data = await api("/api/eligibility", body);
      markInvalid([]);
      results.textContent = "";
      results.append(el("p", { class: "check-hint", text: `核对日期：${data.as_of}；共 ${data.programs.length} 个项目。以上为按政策条文的自助核对，最终以主管部门审核为准。` }));
      for (const p of data.programs) results.append(renderProgram(p));
    } catch (e) {
      const err = (e.body && e.body.error) || {};
      markInvalid(err.fields);
      formError.textContent = e.message;
      formError.hidden = false;
    }
  }

  async function start() {
    try {
      const data = await api("/api/eligibility/form");
      fields = data.fields;
      buildForm();
    } catch (e) {
      showError(results, e.message);
      return;
    }
    const saved = localStorage.getItem(STORE_KEY);
    if (saved) {
      remember.checked = true;
      try { fillForm(JSON.parse(saved)); } catch (e) { localStorage.removeItem(STORE_KEY); }
    }
    form.addEventListener("submit", run);
    document.getElementById("clear-profile").addEventListener("click", () => {
      form.reset();
      localStorage.removeItem(STORE_KEY);
      markInvalid([]);
    });
  }

  start();
})();
