// The school admin's page: the school's live board (BX-6, attendance's stream), roster import with its progress
// and row-by-row report (EN-8), programs and their fee plans (EN-5, EN-7), and the month close with its statements
// as CSV or XLSX (ST-5, ST-6); the setup (waivers, policy, allocation) is admin-setup.js. Every call is the service's own
// API, with this token.
"use strict";

(() => {
  const me = AS.requireRole("school_admin");
  if (!me) return;
  const $ = (id) => document.getElementById(id);
  const el = AS.el;
  const t = AS.t;
  const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  $("who").textContent = `${t("role.school_admin")} · ${me.school}`;

  const { outcome, refused } = AS;

  const yuan = (fen) => `¥${(fen / 100).toFixed(2)}`;

  // --- The live board: attendance's server-sent `board` events, read with fetch (a bearer token) ---

  function showBoard(board) {
    AS.showCounts($("totals"), board.totals);
    $("sessions").tBodies[0].replaceChildren(
      ...board.sessions.map((s) => AS.boardRow(s.session_id, { session: s.session_id }, s.counts))
    );
    document.body.dataset.board = "shown";
  }

  function setLive(ok) {
    $("board-live").textContent = t(ok ? "guardian.live" : "guardian.reconnecting");
    $("board-live").classList.toggle("offline", !ok);
  }

  // --- Roster import (EN-8): the upload's bytes, then the job's rows, on one progress bar; then the report ---

  function progress(stage, done, total) {
    $("import-progress-part").hidden = false;
    $("import-stage").textContent = t(stage);
    const bar = $("import-progress");
    bar.max = total || 1;
    bar.value = done;
    $("import-count").textContent = stage === "import.uploading" ? `${Math.round((100 * done) / (total || 1))}%` : `${done} / ${total}`;
  }

  // XMLHttpRequest rather than fetch: only it reports the upload's progress.
  function upload(kind, file) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("POST", `${AS.config.apiBase}/enrollment/v1/imports?kind=${encodeURIComponent(kind)}`);
      request.setRequestHeader("Authorization", `Bearer ${AS.token()}`);
      request.setRequestHeader("Idempotency-Key", AS.newId());
      const type = file.name.toLowerCase().endsWith(".xlsx") ? XLSX : "text/csv";
      request.setRequestHeader("Content-Type", type);
      request.upload.addEventListener("progress", (e) => e.lengthComputable && progress("import.uploading", e.loaded, e.total));
      request.addEventListener("load", () => {
        let body = {};
        try {
          body = JSON.parse(request.responseText);
        } catch (error) {
          body = {};
        }
        resolve({ status: request.status, body });
      });
      request.addEventListener("error", () => reject(new Error("network")));
      request.send(file);
    });
  }

  function report(state, title, body) {
    const box = $("import-report");
    box.hidden = false;
    box.className = `result ${state}`;
    box.dataset.state = state;
    const parts = [el("strong", { text: title })];
    const r = (body && body.report) || {};
    if (r.errors) {
      parts.push(el("p", { text: t("import.broken").replace("{rows}", new Set(r.errors.map((e) => e.row)).size).replace("{total}", r.rows) }));
      parts.push(
        el(
          "div",
          { class: "scroll" },
          el(
            "table",
            { id: "import-errors" },
            el(
              "thead",
              {},
              el(
                "tr",
                {},
                ...["import.row", "import.column", "import.value", "import.message"].map((k) => el("th", { scope: "col", text: t(k) }))
              )
            ),
            el(
              "tbody",
              {},
              ...r.errors.map((e) =>
                el(
                  "tr",
                  { dataset: { row: String(e.row) } },
                  el("td", { text: String(e.row) }),
                  el("td", { text: e.column || "" }),
                  el("td", { text: e.value || "" }),
                  el("td", { text: e.message })
                )
              )
            )
          )
        )
      );
    } else if (r.rows !== undefined) {
      const line = t("import.summary")
        .replace("{rows}", r.rows)
        .replace("{created}", r.created)
        .replace("{updated}", r.updated)
        .replace("{unchanged}", r.unchanged);
      parts.push(el("p", { class: "summary", text: line }));
    } else if (body && body.detail) {
      parts.push(el("p", { text: body.detail }));
    }
    if (r.ignored_columns && r.ignored_columns.length) {
      parts.push(el("p", { class: "muted", text: `${t("import.ignored")}: ${r.ignored_columns.join(", ")}` }));
    }
    box.replaceChildren(...parts);
  }

  $("import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("import-file").files[0];
    if (!file) return;
    $("import-report").hidden = true;
    const button = event.target.querySelector("button");
    button.disabled = true;
    try {
      progress("import.uploading", 0, file.size);
      let answer;
      try {
        answer = await upload($("import-kind").value, file);
      } catch (error) {
        return report("refused", t("import.network"), null);
      }
      if (answer.status === 401) return AS.signOut();
      if (answer.status !== 202) return report("refused", t("import.refused"), answer.body);
      let job = answer.body;
      while (job.status === "running") {
        progress("import.rows", job.rows_done, job.rows_total);
        await new Promise((resolve) => setTimeout(resolve, 150));
        const polled = await AS.api(`/enrollment/v1/imports/${encodeURIComponent(job.job_id)}`);
        if (polled.ok) job = await polled.json();
      }
      progress("import.rows", job.rows_done, job.rows_total);
      if (job.status === "succeeded") report("created", t("import.done"), job);
      else report("refused", t("import.failed"), job);
    } finally {
      button.disabled = false;
    }
  });

  // --- Programs and fee plans ---

  async function loadPrograms() {
    const answer = await AS.api("/enrollment/v1/programs?limit=100");
    if (!answer.ok) return;
    const programs = (await answer.json()).items;
    $("programs-none").hidden = programs.length > 0;
    const rows = await Promise.all(
      programs.map(async (p) => {
        const plans = await AS.api(`/enrollment/v1/programs/${encodeURIComponent(p.program_id)}/fee-plans?limit=100`);
        const items = plans.ok ? (await plans.json()).items : [];
        const plan = items.length ? items[items.length - 1] : null;
        const fee = !plan
          ? t("programs.no.plan")
          : plan.kind === "per_class_hour"
            ? t("programs.plan.hourly")
                .replace("{fee}", yuan(plan.fen_per_class_hour))
                .replace("{cap}", plan.max_charged_class_hours_per_day ?? "—")
                .replace("{from}", plan.effective_from)
            : t("programs.plan.monthly").replace("{fee}", yuan(plan.fen_per_month)).replace("{from}", plan.effective_from);
        const line = t("programs.line")
          .replace("{kind}", t("programs.kind." + p.kind) === "programs.kind." + p.kind ? p.kind : t("programs.kind." + p.kind))
          .replace("{starts}", String(p.starts_at).slice(0, 5))
          .replace("{hours}", p.class_hours)
          .replace("{grades}", `${p.min_grade}–${p.max_grade}`)
          .replace("{taken}", p.places_taken)
          .replace("{capacity}", p.capacity);
        return el(
          "li",
          { dataset: { program: p.program_id } },
          el("p", {}, el("strong", { text: p.name }), ` · ${p.term_id}`),
          el("p", { class: "muted", text: line }),
          el("p", { class: "fee", text: fee })
        );
      })
    );
    $("programs").replaceChildren(...rows);
  }

  // --- Month close (ST-5, ST-6) and its statements as files ---

  const lastMonth = (() => {
    const d = new Date(`${AS.today()}T12:00:00`);
    d.setDate(0);
    return AS.deviceTime(d).slice(0, 7);
  })();
  $("month").value = lastMonth;
  const month = () => $("month").value;

  async function loadMonth() {
    const answer = await AS.api(`/stipend/v1/teacher-statements/${month()}`);
    if (!answer.ok) return refused(answer);
    const m = await answer.json();
    const payable = m.teachers.reduce((sum, x) => sum + x.payable_fen, 0);
    $("month-status").dataset.status = m.status;
    $("month-status").textContent = t("month.status")
      .replace("{month}", m.month)
      .replace("{status}", t("month.status." + m.status))
      .replace("{teachers}", m.teachers.length)
      .replace("{payable}", yuan(payable));
  }

  $("month-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadMonth();
  });

  function monthAction(id, path, done) {
    $(id).addEventListener("click", async () => {
      const answer = await AS.send(path(), {});
      if (!answer.ok) return refused(answer);
      outcome("created", done(await answer.json()));
      await loadMonth();
    });
  }
  monthAction("approve", () => `/stipend/v1/teacher-statements/${month()}/approve`, () => t("month.approved"));
  monthAction("publish", () => `/stipend/v1/teacher-statements/${month()}/publish`, () => t("month.published"));
  monthAction(
    "issue",
    () => `/stipend/v1/family-statements/${month()}/issue`,
    (r) => t("month.issued").replace("{count}", r.statements).replace("{due}", yuan(r.due_fen))
  );

  for (const button of document.querySelectorAll("button.download")) {
    button.addEventListener("click", async () => {
      const { what, format } = button.dataset;
      const answer = await AS.download(`/stipend/v1/exports/${what}/${month()}?format=${format}`, `${what}-${month()}.${format}`);
      if (!answer.ok) return refused(answer);
    });
  }

  AS.followBoard("/attendance/v1/board/school/stream", showBoard, setLive);
  loadPrograms();
  loadMonth();
})();
