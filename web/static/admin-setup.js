// The school admin's setup: a child's fee waivers (EN-7), the school's policy profile in force with its overrides and
// their audit (PL-1, PL-2), and club place allocation runs (EN-3, BX-1). Enrollment's own API, with this token.
"use strict";

(() => {
  const me = AS.claims();
  if (!me || me.role !== "school_admin") return; // admin.js sends anyone else to the sign-in
  const $ = (id) => document.getElementById(id);
  const { el, t, outcome, refused } = AS;
  const fields = AS.config.policyFields || {};

  const shown = (value) => (typeof value === "object" && value !== null ? JSON.stringify(value) : String(value));

  // --- Fee waivers (EN-7): a child's, granted and revoked here ---

  let child = "";
  let programs = [];

  async function loadWaivers() {
    if (!child) return;
    const answer = await AS.api(`/enrollment/v1/students/${encodeURIComponent(child)}/fee-waivers?limit=100`);
    if (!answer.ok) {
      $("waiver-form").hidden = true;
      return refused(answer);
    }
    const waivers = (await answer.json()).items;
    $("waivers-none").hidden = waivers.length > 0;
    $("waivers").replaceChildren(...waivers.map(waiverRow));
    $("waiver-form").hidden = false;
  }

  function waiverRow(w) {
    const program = w.program_id ? (programs.find((p) => p.program_id === w.program_id) || { name: w.program_id }).name : t("waiver.program.all");
    const line = t("waiver.line")
      .replace("{program}", program)
      .replace("{percent}", w.percent_payable)
      .replace("{from}", w.valid_from)
      .replace("{to}", w.valid_to || t("waiver.until.revoked"));
    const row = el("li", { dataset: { waiver: w.waiver_id, revoked: w.revoked_on ? "yes" : "no" } }, el("p", { text: line }));
    if (w.reason) row.append(el("p", { class: "muted", text: w.reason }));
    if (w.revoked_on) {
      row.append(el("p", { class: "tag", text: t("waiver.revoked").replace("{on}", w.revoked_on) }));
      return row;
    }
    const key = AS.newId();
    row.append(
      el("button", {
        type: "button",
        class: "secondary",
        text: t("waiver.revoke"),
        onclick: async () => {
          const path = `/enrollment/v1/students/${encodeURIComponent(child)}/fee-waivers/${encodeURIComponent(w.waiver_id)}/revoke`;
          const answer = await AS.send(path, {}, key);
          if (!answer.ok) return refused(answer);
          const done = await answer.json();
          outcome("created", t("waiver.revoked").replace("{on}", done.revoked_on));
          await loadWaivers();
        },
      })
    );
    return row;
  }

  $("waiver-child-form").addEventListener("submit", (event) => {
    event.preventDefault();
    child = $("waiver-child").value.trim();
    loadWaivers();
  });

  let waiverKey = AS.newId();
  $("waiver-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = {
      program_id: form.program_id.value || null,
      percent_payable: Number(form.percent_payable.value),
      valid_from: form.valid_from.value,
      valid_to: form.valid_to.value || null,
      reason: form.reason.value.trim(),
    };
    const answer = await AS.send(`/enrollment/v1/students/${encodeURIComponent(child)}/fee-waivers`, body, waiverKey);
    if (!answer.ok) return refused(answer);
    waiverKey = AS.newId();
    outcome("created", t("waiver.granted"));
    await loadWaivers();
  });

  async function loadPrograms() {
    programs = await AS.pages("/enrollment/v1/programs");
    $("waiver-program").append(...programs.map((p) => el("option", { value: p.program_id, text: p.name })));
  }

  // --- The policy profile (PL-1): what is in force on a day, the school's overrides, and who changed what (PL-2) ---

  let inForce = {};

  async function loadInForce() {
    const answer = await AS.api(`/enrollment/v1/policy-profiles/in-force?on=${$("policy-on").value}`);
    if (!answer.ok) return refused(answer);
    inForce = (await answer.json()).settings;
    $("policy").replaceChildren(
      ...Object.entries(inForce).flatMap(([name, value]) => [
        el("dt", { dataset: { setting: name } }, name, el("small", { class: "muted", text: fields[name] || name })),
        el("dd", { dataset: { setting: name }, text: shown(value) }),
      ])
    );
    const select = $("override-key");
    if (!select.options.length) {
      select.replaceChildren(...Object.keys(inForce).map((name) => el("option", { value: name, text: name })));
    }
  }

  async function loadAudit() {
    const audit = await AS.pages("/enrollment/v1/policy-profiles/audit");
    $("policy-audit-none").hidden = audit.length > 0;
    const newest = audit.slice(-10).reverse();
    $("policy-audit").replaceChildren(
      ...newest.map((a) => {
        const head = t("policy.audit.line")
          .replace("{at}", new Date(a.at).toLocaleString(AS.config.lang))
          .replace("{actor}", a.actor)
          .replace("{scope}", t(`policy.scope.${a.scope}`))
          .replace("{from}", a.effective_from);
        const before = a.before || {};
        const changes = Object.keys({ ...before, ...a.after })
          .filter((k) => shown(before[k]) !== shown(a.after[k]))
          .map((k) => el("li", { dataset: { setting: k }, text: `${k}: ${k in before ? shown(before[k]) : "—"} → ${k in a.after ? shown(a.after[k]) : "—"}` }));
        return el("li", { dataset: { audit: a.audit_id } }, el("p", { text: head }), el("ul", {}, ...changes));
      })
    );
  }

  // The value typed, as the setting's kind (a number, yes/no, a by-grade map, or text such as a time).
  function parsed(name, text) {
    const kind = typeof inForce[name];
    if (kind === "number") return text.trim() === "" || isNaN(Number(text)) ? text : Number(text);
    if (kind === "boolean") return ["true", "1", "yes", "是"].includes(text.trim().toLowerCase());
    if (kind === "object") {
      try {
        return JSON.parse(text);
      } catch (error) {
        return text; // the service says why it is not a map (PL-2)
      }
    }
    return text.trim();
  }

  // A school's overrides from a day replace its earlier ones from that day (PL-1): the change is the overrides in force
  // then (the latest school change on or before it, from the audit) with this one setting changed.
  let overrideKey = AS.newId();
  $("override-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const from = $("override-from").value;
    const name = $("override-key").value;
    const earlier = (await AS.pages("/enrollment/v1/policy-profiles/audit")).filter(
      (a) => a.scope === "school" && a.effective_from <= from
    );
    earlier.sort((a, b) => (a.effective_from === b.effective_from ? a.audit_id - b.audit_id : a.effective_from < b.effective_from ? -1 : 1));
    const current = earlier.length ? earlier[earlier.length - 1].after : {};
    const value = parsed(name, $("override-value").value);
    const body = { effective_from: from, overrides: { ...current, [name]: value } };
    const answer = await AS.send("/enrollment/v1/policy-profiles/school", body, overrideKey, "PUT");
    if (!answer.ok) return refused(answer);
    overrideKey = AS.newId();
    const change = await answer.json();
    outcome(
      "created",
      change.changed ? t("policy.saved").replace("{from}", from).replace("{key}", name).replace("{value}", shown(value)) : t("policy.unchanged")
    );
    await Promise.all([loadInForce(), loadAudit()]);
  });

  $("policy-on").addEventListener("change", loadInForce);

  // --- Club place allocation (EN-3, BX-1): run a term's lottery; the last run is shown again from its id ---

  const RUN = "afterschool.allocation-run";

  // The run as a school admin reads it (EN-3, BX-1): its seed and totals, then each club with the places it gave
  // (children by name) and its waitlist in order. Names come from the school's roster, ids where one is not on it.
  async function showRun(run) {
    const box = $("allocation-result");
    box.hidden = false;
    box.dataset.run = run.run_id;
    const roster = new Map((await AS.pages("/enrollment/v1/students")).map((s) => [s.student_id, s.name]));
    const named = (ids) => ids.map((id) => roster.get(id) || id).join("、") || "—";
    const clubName = (id) => (programs.find((p) => p.program_id === id) || { name: id }).name;
    const clubs = run.inputs.clubs.map((c) => c.program_id);
    const club = (id) => {
      const given = run.result.places[id] || [];
      const waiting = run.result.waitlists[id] || [];
      return el(
        "li",
        { dataset: { program: id } },
        el("strong", { text: clubName(id) }),
        el("p", { class: "given", text: t("allocation.given").replace("{count}", given.length).replace("{children}", named(given)) }),
        el("p", { class: "waiting", text: t("allocation.waiting").replace("{count}", waiting.length).replace("{children}", named(waiting)) })
      );
    };
    box.replaceChildren(
      el("strong", { text: `${t("allocation.done")} · ${run.term_id}` }),
      el(
        "p",
        { class: "summary" },
        t("allocation.summary").replace("{seed}", run.seed).replace("{allocated}", run.allocated).replace("{waitlisted}", run.waitlisted)
      ),
      el("p", { class: run.reproduced ? "tag ok" : "refused", text: t(run.reproduced ? "allocation.reproduced" : "allocation.not.reproduced") }),
      el("ul", { class: "rows places" }, ...clubs.map(club))
    );
  }

  let runKey = AS.newId();
  $("allocation-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const seed = $("allocation-seed").value;
    const body = { term_id: $("allocation-term").value, seed: seed === "" ? null : Number(seed) };
    const answer = await AS.send("/enrollment/v1/allocation-runs", body, runKey);
    if (!answer.ok) return refused(answer);
    runKey = AS.newId();
    const run = await answer.json();
    localStorage.setItem(RUN, run.run_id);
    outcome("created", t("allocation.done"));
    await showRun(run);
  });

  async function loadTerms() {
    const terms = await AS.pages("/enrollment/v1/terms");
    $("allocation-term").replaceChildren(...terms.map((term) => el("option", { value: term.term_id, text: `${term.name} (${term.term_id})` })));
    const last = localStorage.getItem(RUN);
    if (!last) return;
    const answer = await AS.api(`/enrollment/v1/allocation-runs/${encodeURIComponent(last)}`);
    if (answer.ok) await showRun(await answer.json());
  }

  $("policy-on").value = AS.today();
  $("override-from").value = AS.today();
  $("waiver-from").value = AS.today();
  loadInForce();
  loadAudit();
  loadPrograms().then(loadTerms); // a run shown again names its clubs
})();
