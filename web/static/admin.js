/* 文档管理页面: sign-in, documents (filter, edit, replace, retire, delete, versions), upload with inferred
   metadata, re-index with progress and evaluation, audit log. Plain JS; every server value is rendered with
   textContent (never innerHTML). */
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const STATUS_CLASS = { "现行": "status-current", "已修订": "status-revised", "已废止": "status-repealed" };
  const ACTIONS = {
    upload: "上传", replace: "替换新版本", edit_metadata: "修改信息", retire: "废止", reinstate: "恢复现行",
    delete: "删除", seed: "初始化导入", seed_done: "初始化完成", login: "登录", login_failed: "登录失败", logout: "退出登录",
    reindex_start: "开始重新索引", reindex_done: "索引完成", reindex_failed: "索引失败",
    eligibility_rule_corrected: "更正申报条件", eligibility_rule_reverted: "撤销条件更正",
    eligibility_rule_flagged: "条件更正待复核",
    confirm_injection: "确认疑似指令文字",
  };
  const METRICS = {
    "recall@5": "召回率@5", "recall@10": "召回率@10", "mrr": "MRR", citation_accuracy: "引用准确率",
    key_fact_coverage: "要点覆盖率", refusal_precision: "拒答精确率", refusal_recall: "拒答召回率",
    answered: "作答数", questions: "问题数",
  };
  const FIELDS = [
    ["title", "标题", "text"], ["doc_number", "文号", "text"], ["issuer", "发文机关", "text"],
    ["issue_date", "发布日期", "date"], ["effective_date", "施行日期", "date"], ["expiry_date", "失效日期", "date"],
    ["status", "状态", "status"], ["region", "地区", "text"], ["doc_type", "文件类型", "doctype"],
    ["programs", "适用项目", "programs"], ["note", "备注", "textarea"],
  ];
  let me = null;
  let auditOffset = 0;
  let pollTimer = null;
  let currentDoc = null;

  // --- DOM and API helpers ---------------------------------------------------------------------

  const el = QPA.el;  // shared with the chat pages: text only, never HTML

  /** The shared API helper, with the admin verbs; a 401 (expired sign-in) brings back the sign-in form. */
  async function api(method, path, body) {
    try {
      return await QPA.api(path, body, { method });
    } catch (err) {
      if (err.status === 401 && path !== "/api/admin/login") showSignin(err.message);
      throw err;
    }
  }

  function show(node, text) {
    node.textContent = text || "";
    node.hidden = !text;
  }

  let flashTimer = null;
  function flash(text, kind) {
    const node = $("flash");
    node.className = "flash " + (kind || "ok");
    show(node, text);
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { node.hidden = true; }, 6000);
  }

  function badge(status) {
    return el("span", { class: "badge " + (STATUS_CLASS[status] || "status-other"), text: status || "—" });
  }

  function fmtTime(ts) {
    if (!ts) return "—";
    const d = new Date(ts * 1000);
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  }

  function fmtSize(n) {
    if (n >= 1024 * 1024) return (n / 1024 / 1024).toFixed(1) + " MB";
    if (n >= 1024) return (n / 1024).toFixed(0) + " KB";
    return n + " 字节";
  }

  // --- sign-in ---------------------------------------------------------------------------------

  function showSignin(message) {
    me = null;
    stopPolling();
    $("app").hidden = true;
    $("who").hidden = true;
    $("logout").hidden = true;
    $("logout-all").hidden = true;
    QPA.setCsrfToken("");
    $("signin").hidden = false;
    show($("signin-error"), message && message !== "请先登录管理员账号" ? message : "");
  }

  async function boot() {
    try {
      me = await api("GET", "/api/admin/me");
      QPA.setCsrfToken(me.csrf_token);
    } catch (err) {
      if (err.status === 403) {
        showSignin("");
        show($("signin-disabled"), err.message);
        $("signin-form").hidden = true;
      } else if (err.status !== 401) {
        showSignin(err.message);
      }
      return;
    }
    $("signin").hidden = true;
    $("app").hidden = false;
    $("who").textContent = "管理员：" + me.username;
    $("who").hidden = false;
    $("logout").hidden = false;
    $("logout-all").hidden = false;
    fillFilters();
    $("upload-hint").textContent =
      `支持 ${me.limits.suffixes.join("、")}；单个文件不超过 ${fmtSize(me.limits.upload_max_bytes)}，` +
      `一次最多 ${me.limits.upload_max_files} 个、合计不超过 ${fmtSize(me.limits.request_max_bytes)}。` +
      "选择文件后会自动识别标题、文号、日期等信息，保存前可以修改。";
    await Promise.all([loadDocs(), loadJob()]);
    // The served index was cut with another version of the word dictionary: it still answers, but a rebuild
    // makes its lexical search match how questions are cut now.
    if (me.index && me.index.stale_lexicon) {
      flash("当前索引建立时使用的分词词典与本版本不同，请点击“重新索引”重建。", "error");
      clearTimeout(flashTimer);  // stays until the page reloads: it is not a passing message
    }
  }

  async function signIn(payload) {
    $("signin-submit").disabled = true;
    try {
      const session = await api("POST", "/api/admin/login", payload);
      QPA.setCsrfToken(session.csrf_token);
      $("password").value = "";
      $("token").value = "";
      show($("signin-error"), "");
      await boot();
    } catch (err) {
      show($("signin-error"), err.message);
    } finally {
      $("signin-submit").disabled = false;
    }
  }

  // --- documents -------------------------------------------------------------------------------

  function fillFilters() {
    const status = $("f-status");
    const program = $("f-program");
    if (status.options.length > 1) return;
    for (const s of me.statuses) status.append(el("option", { value: s, text: s }));
    for (const p of me.programs) program.append(el("option", { value: p, text: p }));
  }

  async function loadDocs() {
    const params = new URLSearchParams();
    const dateOrNothing = (v) => (/^\d{4}-\d{2}-\d{2}$/.test(v.trim()) ? v.trim() : ""); // half-typed dates filter nothing
    const pairs = [["status", $("f-status").value], ["program", $("f-program").value], ["date_from", dateOrNothing($("f-from").value)],
      ["date_to", dateOrNothing($("f-to").value)], ["q", $("f-q").value.trim()]];
    for (const [k, v] of pairs) if (v) params.set(k, v);
    if ($("f-deleted").checked) params.set("include_deleted", "true");
    const data = await api("GET", "/api/admin/documents?" + params.toString());
    const body = $("docs-body");
    body.replaceChildren();
    for (const doc of data.documents) body.append(docRow(doc));
    $("docs-empty").hidden = data.documents.length > 0;
    const pending = data.pending_index;
    show($("pending-text"), pending ? `有 ${pending} 个文档的变更尚未进入索引，问答仍使用上一版索引。` : "");
    $("pending-banner").hidden = !pending;
  }

  function docRow(doc) {
    const meta = doc.metadata || {};
    const actions = el("td", { class: "actions" });
    if (!doc.deleted) {
      actions.append(el("button", { type: "button", class: "ghost small", text: "详情/编辑", onclick: () => openDoc(doc.id) }));
      if (doc.status === "已废止") {
        actions.append(el("button", { type: "button", class: "ghost small", text: "恢复现行",
          onclick: () => setStatus(doc, "reinstate") }));
      } else {
        actions.append(el("button", { type: "button", class: "ghost small", text: "废止", onclick: () => setStatus(doc, "retire") }));
      }
      actions.append(el("button", { type: "button", class: "ghost small danger", text: "删除", onclick: () => deleteDoc(doc) }));
    } else {
      actions.append(el("button", { type: "button", class: "ghost small", text: "历史", onclick: () => openDoc(doc.id) }));
    }
    const indexed = doc.deleted ? "—" : (doc.indexed ? "已索引" : "待索引");
    return el("tr", { "data-doc-id": doc.id, class: doc.deleted ? "deleted" : "" },
      el("td", {}, el("div", { class: "doc-title", text: doc.title }),
        el("div", { class: "muted small-text", text: [meta.doc_number, doc.source].filter(Boolean).join(" · ") })),
      el("td", {}, doc.deleted ? el("span", { class: "badge status-other", text: "已删除" }) : badge(doc.status),
        injectionBadge(doc)),
      el("td", { text: (meta.programs || []).join("、") || "—" }),
      el("td", { text: meta.issue_date || meta.effective_date || "—" }),
      el("td", { text: "v" + doc.version }),
      el("td", { class: doc.indexed ? "ok" : "warn", text: indexed }),
      actions);
  }

  async function setStatus(doc, action) {
    const verb = action === "retire" ? "废止" : "恢复为现行";
    let note = "";
    if (action === "retire") {
      const answer = window.prompt(`确定废止《${doc.title}》？可填写废止依据（可留空）：`, "");
      if (answer === null) return;
      note = answer;
    } else if (!window.confirm(`确定把《${doc.title}》恢复为现行？`)) return;
    try {
      const res = await api("POST", `/api/admin/documents/${doc.id}/${action}`, { note, reindex: true });
      afterChange(`已${verb}《${res.document.title}》`, res.reindex);
    } catch (err) { flash(err.message, "error"); }
  }

  async function deleteDoc(doc) {
    if (!window.confirm(`确定删除《${doc.title}》？\n删除后问答不再使用它；历史版本和操作记录仍会保留。`)) return;
    try {
      const res = await api("DELETE", `/api/admin/documents/${doc.id}?reindex=true`);
      afterChange(`已删除《${res.document.title}》`, res.reindex);
    } catch (err) { flash(err.message, "error"); }
  }

  /** After a saved change: say so, and what happens to the index (started, queued, or refused). */
  function afterChange(done, job) {
    loadDocs().catch(() => {});
    if (job && job.error) flash(`${done}；但未能开始重新索引：${job.error.message}`, "error");
    else if (job && job.queued) flash(`${done}；${job.message}`);
    else flash(job ? `${done}；正在重新索引` : done);
    if (job && !job.error) startPolling();
  }

  // --- metadata form ---------------------------------------------------------------------------

  function metaForm(meta, opts) {
    const inputs = {};
    const wrap = el("div", { class: "meta-form" });
    if (opts && opts.folders) {
      const select = el("select", { name: "folder" });
      for (const f of opts.folders) select.append(el("option", { value: f, text: f }));
      select.value = opts.folder || opts.folders[0];
      inputs.folder = select;
      wrap.append(el("label", {}, "存放目录", select));
    }
    for (const [key, label, kind] of FIELDS) {
      const value = meta[key];
      let input;
      if (kind === "status") {
        input = el("select", { name: key });
        for (const s of me.statuses) input.append(el("option", { value: s, text: s }));
        input.value = value || "现行";
      } else if (kind === "doctype") {
        input = el("select", { name: key });
        input.append(el("option", { value: "", text: "（未指定）" }));
        for (const t of me.doc_types) input.append(el("option", { value: t, text: t }));
        if (value && !me.doc_types.includes(value)) input.append(el("option", { value, text: value }));
        input.value = value || "";
      } else if (kind === "programs") {
        input = el("div", { class: "programs" });
        const chosen = new Set(value || []);
        const all = [...me.programs, ...[...chosen].filter((p) => !me.programs.includes(p))];
        for (const p of all) {
          input.append(el("label", { class: "check" }, el("input", { type: "checkbox", value: p, checked: chosen.has(p) }), p));
        }
      } else if (kind === "textarea") {
        input = el("textarea", { name: key, rows: 2, value: value || "" });
      } else {
        input = kind === "date"
          ? el("input", { name: key, type: "text", inputmode: "numeric", class: "date", value: value || "",
            placeholder: "年-月-日，如 2026-01-31", pattern: "\\d{4}-\\d{2}-\\d{2}", title: "日期格式：年-月-日，如 2026-01-31" })
          : el("input", { name: key, type: "text", value: value || "" });
      }
      inputs[key] = input;
      wrap.append(el("label", { class: kind === "programs" || kind === "textarea" ? "wide" : "" }, label, input));
    }
    function read() {
      const out = {};
      for (const [key, , kind] of FIELDS) {
        const input = inputs[key];
        if (kind === "programs") out[key] = [...input.querySelectorAll("input:checked")].map((c) => c.value);
        else out[key] = input.value.trim();
      }
      if (inputs.folder) out.folder = inputs.folder.value;
      return out;
    }
    return { node: wrap, read };
  }

  // --- upload ----------------------------------------------------------------------------------

  let uploadPlan = [];

  async function inspectFiles() {
    const files = [...$("upload-files").files];
    show($("upload-error"), "");
    $("upload-cards").replaceChildren();
    uploadPlan = [];
    $("upload-actions").hidden = true;
    if (!files.length) return;
    const form = new FormData();
    for (const f of files) form.append("files", f, f.name);
    $("upload-cards").append(el("p", { class: "muted", text: "正在检查文件……" }));
    let data;
    try {
      data = await api("POST", "/api/admin/uploads/inspect", form);
    } catch (err) {
      $("upload-cards").replaceChildren();
      show($("upload-error"), err.message);
      return;
    }
    $("upload-cards").replaceChildren();
    data.files.forEach((result, i) => {
      const card = el("div", { class: "card " + (result.ok ? "" : "bad") });
      card.append(el("h3", { text: result.ok ? result.name : result.filename }));
      if (!result.ok) {
        card.append(el("p", { class: "form-error", text: result.error.message }));
      } else {
        card.append(el("p", { class: "muted", text: `${result.format.toUpperCase()} · ${fmtSize(result.size)}` +
          (result.documents > 1 ? ` · 含 ${result.documents} 条办事指南` : "") }));
        for (const w of result.warnings || []) card.append(el("p", { class: "warn", text: w }));
        const form = metaForm(result.metadata, { folders: me.folders, folder: result.folder });
        card.append(form.node);
        card.append(el("details", {}, el("summary", { text: "正文开头" }), el("pre", { class: "preview", text: result.preview })));
        uploadPlan.push({ file: files[i], form });
      }
      $("upload-cards").append(card);
    });
    $("upload-actions").hidden = uploadPlan.length === 0;
    if (uploadPlan.length && uploadPlan.length < files.length) {
      show($("upload-error"), "部分文件未通过检查，保存时只会上传通过检查的文件。");
    }
  }

  async function saveUploads() {
    if (!uploadPlan.length) return;
    const form = new FormData();
    const metadata = [];
    for (const item of uploadPlan) {
      form.append("files", item.file, item.file.name);
      metadata.push(item.form.read());
    }
    form.append("metadata", JSON.stringify(metadata));
    form.append("reindex", $("upload-reindex").checked ? "true" : "false");
    $("upload-save").disabled = true;
    show($("upload-error"), "");
    try {
      const res = await api("POST", "/api/admin/documents", form);
      clearUploads();
      afterChange(`已保存 ${res.documents.length} 个文档：` + res.documents.map((d) => `《${d.title}》`).join("、"), res.reindex);
      if (res.reindex && !res.reindex.error) switchTab("index");
    } catch (err) {
      show($("upload-error"), err.message);
    } finally {
      $("upload-save").disabled = false;
    }
  }

  function clearUploads() {
    uploadPlan = [];
    $("upload-files").value = "";
    $("upload-cards").replaceChildren();
    $("upload-actions").hidden = true;
    show($("upload-error"), "");
  }

  // --- one document ----------------------------------------------------------------------------

  let editForm = null;
  /** Text in the document that addresses the assistant (flagged at upload): pending until an admin confirms. */
  function injectionBadge(doc) {
    const inj = doc.injection;
    if (!inj) return "";
    return el("span", { class: "badge " + (inj.pending ? "status-repealed" : "status-other"), "data-injection": "1",
      text: inj.pending ? "疑似指令·待确认" : "疑似指令·已确认" });
  }

  function renderInjection(doc) {
    const box = $("dlg-injection");
    box.replaceChildren();
    const inj = doc.injection;
    box.hidden = !inj;
    if (!inj) return;
    box.append(el("h3", { text: "疑似对AI助手下达指令的文字" }),
      el("p", { class: "muted", text: "以下句子像是对问答助手下达的指令，而不是对企业的政策规定；无论是否确认，它们都不会被用作回答。" }));
    const list = el("ul", {});
    for (const f of inj.findings) list.append(el("li", {}, el("strong", { text: `[${f.label}] ` }), f.text));
    box.append(list);
    if (inj.pending) {
      box.append(el("button", { type: "button", class: "primary small", id: "dlg-injection-confirm", text: "已阅读，确认保留该文档",
        onclick: async () => {
          try {
            await api("POST", `/api/admin/documents/${doc.id}/injection/confirm`, {});
            flash("已确认（已记入操作日志）", "ok");
            await openDoc(doc.id);
            await loadDocs();
          } catch (err) { show($("dlg-error"), err.message); }
        } }));
    } else {
      box.append(el("p", { class: "muted", text: `已由 ${inj.confirmed_by} 于 ${fmtTime(inj.confirmed_at)} 确认` }));
    }
  }

  let replaceForm = null;
  let replaceFile = null;

  async function openDoc(id) {
    show($("dlg-error"), "");
    let doc;
    try { doc = await api("GET", `/api/admin/documents/${id}`); } catch (err) { flash(err.message, "error"); return; }
    currentDoc = doc;
    $("dlg-title").textContent = doc.title;
    $("dlg-facts").textContent = `${doc.source} · ${fmtSize(doc.size)} · 当前版本 v${doc.version}` +
      (doc.deleted ? " · 已删除" : "") + ` · 最后修改 ${fmtTime(doc.updated_at)}（${doc.updated_by}）`;
    editForm = metaForm(doc.metadata, null);
    $("dlg-meta").replaceChildren(editForm.node);
    renderInjection(doc);
    $("dlg-save").disabled = !!doc.deleted;
    $("dlg-file").disabled = !!doc.deleted;
    $("dlg-file").value = "";
    $("dlg-replace").replaceChildren();
    $("dlg-replace-actions").hidden = true;
    replaceFile = null;
    const body = $("dlg-versions");
    body.replaceChildren();
    for (const v of doc.history) {
      const link = v.replaced_by_version ? ` → v${v.replaced_by_version}` : "";
      body.append(el("tr", {},
        el("td", { text: `v${v.version}${v.current ? "（当前）" : ""}` }),
        el("td", { text: v.filename }),
        el("td", {}, badge(v.status), link),
        el("td", { text: v.created_by }),
        el("td", { text: fmtTime(v.created_at) }),
        el("td", {}, el("a", { href: `/api/admin/documents/${doc.id}/versions/${v.version}/file`, text: "下载" }))));
    }
    const dialog = $("doc-dialog");
    if (!dialog.open) dialog.showModal();
    document.dispatchEvent(new CustomEvent("admin:doc-open", { detail: doc }));  // admin-rules.js
  }

  async function saveMeta() {
    if (!currentDoc) return;
    try {
      const res = await api("PATCH", `/api/admin/documents/${currentDoc.id}`,
        { metadata: editForm.read(), reindex: $("dlg-reindex").checked });
      await openDoc(currentDoc.id);
      afterChange(`已保存《${res.document.title}》的信息`, res.reindex);
    } catch (err) { show($("dlg-error"), err.message); }
  }

  async function inspectReplacement() {
    const file = $("dlg-file").files[0];
    $("dlg-replace").replaceChildren();
    $("dlg-replace-actions").hidden = true;
    show($("dlg-error"), "");
    if (!file) return;
    const form = new FormData();
    form.append("files", file, file.name);
    try {
      const data = await api("POST", "/api/admin/uploads/inspect", form);
      const result = data.files[0];
      if (!result.ok) { show($("dlg-error"), result.error.message); return; }
      // What the new text says of itself wins; what it does not say is kept from the current version.
      const merged = { ...currentDoc.metadata, ...result.metadata, status: "现行" };
      replaceForm = metaForm(merged, null);
      replaceFile = file;
      $("dlg-replace").append(el("p", { class: "muted", text: `新版本：${result.name} · ${fmtSize(result.size)}` }), replaceForm.node);
      $("dlg-replace-actions").hidden = false;
    } catch (err) { show($("dlg-error"), err.message); }
  }

  async function saveReplacement() {
    if (!currentDoc || !replaceFile) return;
    const form = new FormData();
    form.append("file", replaceFile, replaceFile.name);
    form.append("metadata", JSON.stringify(replaceForm.read()));
    form.append("reindex", $("dlg-reindex").checked ? "true" : "false");
    try {
      const res = await api("POST", `/api/admin/documents/${currentDoc.id}/replace`, form);
      await openDoc(currentDoc.id);
      afterChange(`已替换为新版本 v${res.document.version}：《${res.document.title}》`, res.reindex);
    } catch (err) { show($("dlg-error"), err.message); }
  }

  // --- index jobs and evaluation ---------------------------------------------------------------

  function stopPolling() {
    clearTimeout(pollTimer);
    pollTimer = null;
  }

  function startPolling() {
    stopPolling();
    loadJob().catch(() => {});
  }

  async function startReindex() {
    try {
      await api("POST", "/api/admin/index/jobs");
      flash("已开始重新索引；期间问答继续使用上一版索引。");
      switchTab("index");
      startPolling();
    } catch (err) { flash(err.message, "error"); }
  }

  async function loadJob() {
    const data = await api("GET", "/api/admin/index/jobs/current");
    $("served").textContent = data.served_build ? `当前服务的索引：${data.served_build}` : "尚无可用索引";
    renderJob(data.job, data.running);
    $("reindex").disabled = data.running;
    $("pending-reindex").disabled = data.running;
    stopPolling();
    if (data.running) pollTimer = setTimeout(() => loadJob().catch(() => {}), 1000);
    else {
      loadJobs().catch(() => {});
      if (data.job && data.job.finished_at && Date.now() / 1000 - data.job.finished_at < 5) loadDocs().catch(() => {});
    }
  }

  function renderJob(job, running) {
    const box = $("job");
    if (!job) { box.hidden = true; $("eval").hidden = true; return; }
    box.hidden = false;
    box.dataset.state = job.state;
    $("job-title").textContent = `任务 #${job.id}（${job.actor}，${fmtTime(job.started_at)}）`;
    const stage = $("job-stage");
    stage.textContent = job.stage_label;
    stage.className = "badge " + (job.state === "done" ? "status-current" : job.state === "running" ? "status-other" : "status-repealed");
    const bar = $("job-progress");
    if (running) {
      // One bar for the whole job: each stage owns a slice of it.
      const slices = { queued: [0, 0], parse: [0, 15], embed: [15, 85], write: [85, 92], swap: [92, 95], eval: [95, 100] };
      const [from, to] = slices[job.stage] || [0, 100];
      const frac = job.total ? Math.min(1, job.done / job.total) : 0;
      bar.max = 100;
      bar.value = Math.round(from + (to - from) * frac);
      $("job-count").textContent = (job.total ? `${job.stage_label}：${job.done} / ${job.total}` : job.stage_label + "……") +
        `（总进度约 ${bar.value}%）`;
    } else {
      bar.max = 1;
      bar.value = job.state === "done" ? 1 : 0;
      $("job-count").textContent = job.state === "done" ? `完成于 ${fmtTime(job.finished_at)}` : "";
    }
    show($("job-summary"), !running && job.report ? (job.report.summary || "") : "");
    show($("job-error"), job.error ? "失败原因：" + job.error : (job.state === "interrupted" ? "任务被中断（服务重启），索引仍为上一版，可重新开始。" : ""));
    renderEval(job.eval);
  }

  function fmtMetric(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v === "number" && v <= 1 && v >= 0 && !Number.isInteger(v)) return (v * 100).toFixed(1) + "%";
    if (typeof v === "number" && !Number.isInteger(v)) return v.toFixed(3);
    return String(v);
  }

  function fmtDelta(d, value) {
    if (d === null || d === undefined) return "—";
    if (d === 0) return "持平";
    const pct = typeof value === "number" && value <= 1 && value >= 0;
    const text = pct ? (d * 100).toFixed(1) + " 个百分点" : String(Math.round(d * 1000) / 1000);
    return (d > 0 ? "+" : "") + text;
  }

  function questionLine(q) {
    const text = q.question || q.text || "";
    const extra = q.reason || q.error || "";
    return el("li", {}, el("code", { text: String(q.id) }), " ", text, extra ? el("span", { class: "muted", text: `（${extra}）` }) : null);
  }

  function renderEval(ev) {
    const box = $("eval");
    if (!ev) { box.hidden = true; return; }
    box.hidden = false;
    const note = ev.skipped || ev.error || (ev.has_previous === false ? "这是第一次评测，没有可对比的上一次结果。" : "");
    show($("eval-note"), ev.error ? "评测未完成：" + ev.error : note);
    const body = $("eval-body");
    body.replaceChildren();
    for (const m of ev.metrics || []) {
      const cls = m.delta > 0 ? "up" : m.delta < 0 ? "down" : "";
      body.append(el("tr", {}, el("td", { text: METRICS[m.name] || m.name }), el("td", { text: fmtMetric(m.value) }),
        el("td", { text: fmtMetric(m.previous) }), el("td", { class: cls, text: fmtDelta(m.delta, m.value) })));
    }
    $("eval-table").hidden = !(ev.metrics || []).length;
    const reg = ev.regressions || [];
    $("regress-title").hidden = !reg.length;
    $("regressions").replaceChildren(...reg.map(questionLine));
    const imp = ev.improved || [];
    $("improve-title").hidden = !imp.length;
    $("improvements").replaceChildren(...imp.map(questionLine));
  }

  async function loadJobs() {
    const data = await api("GET", "/api/admin/index/jobs?limit=10");
    const states = { done: "完成", failed: "失败", interrupted: "中断", running: "进行中" };
    $("jobs-body").replaceChildren(...data.jobs.map((j) => el("tr", {},
      el("td", { text: j.id }), el("td", { text: fmtTime(j.started_at) }), el("td", { text: j.actor }),
      el("td", { text: states[j.state] || j.state }),
      el("td", { text: j.report && j.report.documents !== undefined ? `${j.report.documents} / ${j.report.chunks}` : "—" }),
      el("td", { text: j.finished_at ? Math.round(j.finished_at - j.started_at) + " 秒" : "—" }))));
  }

  async function tryQuestion(ev) {
    ev.preventDefault();
    const question = $("try-question").value.trim();
    if (!question) return;
    $("try-result").hidden = false;
    $("try-answer").textContent = "正在回答……";
    $("try-notices").replaceChildren();
    $("try-citations").replaceChildren();
    try {
      const res = await api("POST", "/api/chat", { message: question, stream: false });
      $("try-answer").textContent = res.answer;
      $("try-notices").replaceChildren(...(res.notices || []).map((n) => el("li", { class: "notice", text: n })));
      $("try-citations").replaceChildren(...(res.citations || []).map((c) => el("li", { class: "citation" },
        el("strong", { text: `《${c.title}》` }), " ", c.section || "", " ", badge(c.status))));
    } catch (err) {
      $("try-answer").textContent = err.message;
    }
  }

  // --- audit log -------------------------------------------------------------------------------

  function describe(item) {
    const d = item.detail || {};
    const parts = [];
    if (d.original_name) parts.push(`原文件名 ${d.original_name}`);
    if (d.previous_version) parts.push(`替换 v${d.previous_version}`);
    if (d.changes) parts.push("修改：" + Object.keys(d.changes).join("、"));
    if (d.job_id) parts.push(`任务 #${d.job_id}`);
    if (d.build_id) parts.push(`索引 ${d.build_id}`);
    if (d.error) parts.push(d.error);
    if (d.files !== undefined) parts.push(`${d.files} 个文件`);
    if (d.client) parts.push(`来自 ${d.client}`);
    if (d.rule_key) parts.push(`条件 ${d.quote || d.rule_key}` + (d.reason === "article_changed" ? "（原文已变更）" : ""));
    if (d.injection_flagged) parts.push(`含 ${d.injection_flagged} 处疑似指令文字`);
    if (d.findings) parts.push(`确认 ${d.findings} 处疑似指令文字`);
    return parts.join("；");
  }

  async function loadAudit(more) {
    if (!more) auditOffset = 0;
    const data = await api("GET", `/api/admin/audit?limit=50&offset=${auditOffset}`);
    const rows = data.items.map((item) => el("tr", {},
      el("td", { text: fmtTime(item.at) }), el("td", { text: item.actor }),
      el("td", { text: ACTIONS[item.action] || item.action }),
      el("td", { text: item.title ? `《${item.title}》 ${item.source}` : item.source || "—" }),
      el("td", { text: item.version ? "v" + item.version : "—" }),
      el("td", { text: describe(item) })));
    if (more) $("audit-body").append(...rows);
    else $("audit-body").replaceChildren(...rows);
    auditOffset += data.items.length;
    $("audit-more").hidden = auditOffset >= data.total;
  }

  // --- tabs and wiring -------------------------------------------------------------------------

  function switchTab(name) {
    for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.tab === name);
    for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== "tab-" + name;
    if (name === "audit") loadAudit(false).catch((err) => flash(err.message, "error"));
    if (name === "index") loadJob().catch(() => {});
    if (name === "docs") loadDocs().catch((err) => flash(err.message, "error"));
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("signin-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      signIn({ username: $("username").value.trim(), password: $("password").value });
    });
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      signIn({ token: $("token").value.trim() });
    });
    $("logout").addEventListener("click", async () => {
      try { await api("POST", "/api/admin/logout"); } catch (e) { /* signed out either way */ }
      showSignin("");
    });
    $("logout-all").addEventListener("click", async () => {
      if (!window.confirm("退出所有设备上的管理员登录？（包括本页面）")) return;
      try {
        const res = await api("POST", "/api/admin/logout-everywhere");
        showSignin("");
        show($("signin-error"), `已退出所有登录（共 ${res.ended} 个）`);
      } catch (err) { flash(err.message, "error"); }
    });
    for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => switchTab(tab.dataset.tab));
    $("filters").addEventListener("submit", (ev) => { ev.preventDefault(); loadDocs().catch((err) => flash(err.message, "error")); });
    for (const id of ["f-status", "f-program", "f-deleted"]) $(id).addEventListener("change", () => loadDocs().catch(() => {}));
    $("upload-files").addEventListener("change", inspectFiles);
    $("upload-save").addEventListener("click", saveUploads);
    $("upload-clear").addEventListener("click", clearUploads);
    $("reindex").addEventListener("click", startReindex);
    $("pending-reindex").addEventListener("click", startReindex);
    $("try-form").addEventListener("submit", tryQuestion);
    $("audit-more").addEventListener("click", () => loadAudit(true).catch(() => {}));
    $("dlg-save").addEventListener("click", saveMeta);
    $("dlg-file").addEventListener("change", inspectReplacement);
    $("dlg-replace-save").addEventListener("click", saveReplacement);
    boot();
  });
})();
