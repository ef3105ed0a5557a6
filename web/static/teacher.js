// The teacher's page. A service teacher: their session's board, the roll call, the handovers they receive
// (BX-3, BX-6) and the present children's homework done in the session (HW-7). A class teacher: handing the class over with a count (AT-1), leave decisions (AT-3), absence cases
// and check-out to an authorised adult (AT-5). A subject teacher: homework, with the room left under the caps read
// live and a refusal's rule and numbers shown (HW-1..HW-4), and grading what was done (HW-7). A teacher's classes
// come from enrollment's `/me/classes`. Every call is the service's own API, with this token.
"use strict";

(() => {
  const me = AS.requireRole(["class_teacher", "service_teacher", "subject_teacher"]);
  if (!me) return;
  const $ = (id) => document.getElementById(id);
  const el = AS.el;
  const t = AS.t;
  const role = me.role;
  let day = AS.today(); // the day shown: today unless the teacher picks another (e.g. the demo's last month)
  const CLASS = "afterschool.class";
  const names = new Map(); // student id → name, where the role may read them (a class teacher's class)
  let sessions = [];
  let sessionId = null;

  $("who").textContent = `${t("role." + role)} · ${me.sub}`;
  const show = (...ids) => ids.forEach((id) => ($(id).hidden = false));

  function who(studentId) {
    const name = names.get(studentId);
    return name ? `${name} (${studentId})` : studentId;
  }

  // A child by name alone where the row already carries the id (the in-session and grading lists); the id when the
  // name is not known.
  function named(studentId) {
    return names.get(studentId) || studentId;
  }

  // The names a service or subject teacher may read (enrollment's `/roster`: id, class and name; a subject teacher's
  // of one class they teach); the lists drawn before they were known are drawn again with them.
  async function learnNames(query = "") {
    for (const s of await AS.pages(`/enrollment/v1/roster${query}`)) names.set(s.student_id, s.name);
    for (const list of document.querySelectorAll("[data-signature]")) delete list.dataset.signature;
  }

  const { outcome, refused } = AS;

  // Replace a list's rows only when what it shows changed, so a refresh never wipes a count being typed.
  function render(list, items, row) {
    const signature = JSON.stringify(items);
    if (list.dataset.signature === signature) return;
    list.dataset.signature = signature;
    list.replaceChildren(...items.map(row));
  }

  function session() {
    return sessions.find((s) => s.session_id === sessionId) || null;
  }

  // --- The session: the service teacher's own, or any of the day's for a class teacher handing over ---

  async function loadSessions() {
    const all = await AS.pages(`/attendance/v1/sessions?date=${day}`);
    sessions = role === "service_teacher" ? all.filter((s) => s.teacher_ids.includes(me.sub)) : all;
    const select = $("session");
    select.replaceChildren(
      ...sessions.map((s) => {
        const from = new Date(s.starts_at).toTimeString().slice(0, 5);
        const to = new Date(s.ends_at).toTimeString().slice(0, 5);
        return el("option", { value: s.session_id, text: `${s.program_id} ${from}–${to}` });
      })
    );
    $("no-session").hidden = sessions.length > 0;
    sessionId = sessions.length ? sessions[0].session_id : null;
  }

  $("day").value = day;
  $("day").addEventListener("change", async () => {
    if (!$("day").value) return;
    day = $("day").value;
    presentIds = []; // another day's roll call: its homework is read again
    await loadSessions();
    if (role === "class_teacher") await openClass();
    if (role === "service_teacher") followBoard();
    await refresh();
  });

  $("session").addEventListener("change", () => {
    sessionId = $("session").value;
    if (role === "service_teacher") followBoard();
    refresh();
  });

  // --- Service teacher: board, roll call, handovers received ---

  // The session's board, live from attendance's stream (BX-6); following the session chosen.
  let stopBoard = null;
  function followBoard() {
    if (stopBoard) stopBoard();
    stopBoard = sessionId
      ? AS.followBoard(
          `/attendance/v1/board/sessions/${encodeURIComponent(sessionId)}/stream`,
          (board) => AS.showCounts($("board"), board.counts),
          (live) => ($("board").dataset.live = live ? "yes" : "no")
        )
      : null;
  }

  async function loadRollCall() {
    const current = session();
    if (!current) return;
    const present = new Set((await AS.pages(`/attendance/v2/check-ins?date=${day}`)).map((c) => c.student_id));
    const rows = current.expected_student_ids.map((id) => ({ id, here: present.has(id) }));
    const here = rows.filter((r) => r.here).map((r) => r.id);
    if (here.join() !== presentIds.join()) {
      presentIds = here;
      loadInService();
    }
    render($("rollcall"), rows, ({ id, here }) =>
      el(
        "li",
        { dataset: { student: id, present: here ? "yes" : "no" } },
        el("span", { text: who(id) }),
        here
          ? el("span", { class: "tag ok", text: t("rollcall.present") })
          : el("button", { type: "button", text: t("rollcall.mark"), onclick: () => markPresent(id) })
      )
    );
  }

  // --- Service teacher: the present children's homework of the day, done or not and the minutes (HW-7) ---

  let presentIds = [];

  // Each present child's homework of the day (homework's per-child list: a service teacher may read any child's).
  async function loadInService() {
    const rows = [];
    for (const id of presentIds) {
      const answer = await AS.api(`/homework/v1/students/${encodeURIComponent(id)}/homework?limit=20`);
      if (!answer.ok) continue;
      for (const h of (await answer.json()).items) if (h.on === day) rows.push({ id, ...h });
    }
    $("inservice-none").hidden = rows.length > 0;
    render($("inservice"), rows, inServiceRow);
  }

  function inServiceRow(h) {
    const line = `${named(h.id)} · ${h.school_subject} · ${h.instructions} · ${h.estimated_minutes}′`;
    const row = el("li", { dataset: { student: h.id, assignment: h.assignment_id, status: h.status } }, el("p", { text: line }));
    if (h.status !== "not_recorded") {
      const status = t(`inservice.status.${h.status}`).replace("{minutes}", h.actual_minutes);
      row.append(el("p", { class: h.status === "done" ? "tag ok" : "tag", text: status }));
      return row;
    }
    const id = safe(`${h.assignment_id}-${h.id}`);
    const key = AS.newId();
    const form = el(
      "form",
      { class: "inline", autocomplete: "off" },
      el("label", { class: "check" }, el("input", { type: "checkbox", id: `done-${id}`, checked: true }), t("inservice.done")),
      el("label", { for: `minutes-${id}`, text: t("inservice.minutes") }),
      el("input", { id: `minutes-${id}`, type: "number", min: "0", max: "600", required: true, inputmode: "numeric", value: String(h.estimated_minutes) }),
      el("button", { type: "submit", text: t("inservice.record") })
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = { student_id: h.id, done: $(`done-${id}`).checked, actual_minutes: Number($(`minutes-${id}`).value) };
      const path = `/homework/v1/assignments/${encodeURIComponent(h.assignment_id)}/completions`;
      const answer = await AS.send(path, { session_date: day, results: [result] }, key);
      if (!answer.ok) return refused(answer);
      outcome("created", t("inservice.recorded").replace("{who}", named(h.id)).replace("{subject}", h.school_subject));
      await loadInService();
    });
    row.append(form);
    return row;
  }

  // A roll call is a check-in by the teacher (AT-2) under their own device id, with the device time.
  async function markPresent(studentId) {
    const body = { student_id: studentId, occurred_at: AS.deviceTime(), device_id: `${me.sub}/web`, method: "manual" };
    const answer = await AS.send("/attendance/v1/check-ins", body);
    if (!answer.ok) return refused(answer);
    outcome("created", `${t("rollcall.done")}: ${who(studentId)}`);
    await loadRollCall();
  }

  async function loadReceived() {
    if (!sessionId) return;
    const handovers = await AS.pages(`/attendance/v1/sessions/${encodeURIComponent(sessionId)}/handovers`);
    $("received-none").hidden = handovers.length > 0;
    render($("received"), handovers, receivedRow);
  }

  function receivedRow(h) {
    const given = t("handover.given")
      .replace("{class}", h.class_id)
      .replace("{count}", h.count)
      .replace("{expected}", h.expected_count)
      .replace("{by}", h.given_by);
    const row = el("li", { dataset: { handover: h.handover_id, class: h.class_id } }, el("p", { text: given }));
    if (h.acknowledged_count !== null) {
      row.append(el("p", { class: "tag ok", text: t("handover.acknowledged").replace("{count}", h.acknowledged_count) }));
      return row;
    }
    const key = AS.newId();
    const acknowledge = async (count) => {
      const path = `/attendance/v1/handovers/${encodeURIComponent(h.handover_id)}/acknowledge`;
      const answer = await AS.send(path, { count: Number(count) }, key);
      if (!answer.ok) return refused(answer);
      const done = await answer.json();
      const open = done.discrepancies.filter((d) => !d.resolved_at);
      const mismatch = open.length
        ? t("handover.mismatch").replace("{expected}", open[0].expected).replace("{counted}", open[0].counted)
        : t("handover.received.ok");
      outcome(open.length ? "queued" : "created", mismatch);
      await refresh();
    };
    const input = `ack-${safe(h.handover_id)}`;
    const attrs = { type: "number", min: "0", max: "500", inputmode: "numeric" };
    const form = AS.fieldForm(input, t("handover.my.count"), t("handover.acknowledge"), acknowledge, attrs);
    row.append(form);
    return row;
  }

  // --- Discrepancies (AT-1): both teachers see them; either resolves one with a note ---

  // The open cases of a kind: a service teacher's session's, else the caller's (the service narrows them by role).
  async function loadOpen(path, none, list, row) {
    if (role === "service_teacher") {
      if (!sessionId) return;
      path += `&session_id=${encodeURIComponent(sessionId)}`;
    }
    const open = await AS.pages(path);
    $(none).hidden = open.length > 0;
    render($(list), open, row);
  }

  const loadDiscrepancies = () =>
    loadOpen("/attendance/v1/handover-discrepancies?status=open", "discrepancy-none", "discrepancies", discrepancyRow);
  const loadAbsences = () => loadOpen("/attendance/v1/absences?status=open", "absence-none", "absences", absenceRow);

  const safe = (id) => id.replace(/[^A-Za-z0-9_-]/g, "_");

  function discrepancyRow(d) {
    const text = t("discrepancy.line")
      .replace("{class}", d.class_id)
      .replace("{stage}", t("discrepancy.stage." + d.stage))
      .replace("{expected}", d.expected)
      .replace("{counted}", d.counted);
    const missing = d.missing_student_ids.length
      ? el("p", { class: "muted", text: `${t("discrepancy.missing")}: ${d.missing_student_ids.map(who).join("、")}` })
      : null;
    const key = AS.newId();
    const resolve = async (note) => {
      const path = `/attendance/v1/handover-discrepancies/${encodeURIComponent(d.discrepancy_id)}/resolve`;
      const answer = await AS.send(path, { note }, key);
      if (!answer.ok) return refused(answer);
      outcome("created", t("discrepancy.resolved"));
      await loadDiscrepancies();
    };
    const form = AS.fieldForm(`note-${safe(d.discrepancy_id)}`, t("discrepancy.note"), t("discrepancy.resolve"), resolve, {
      maxlength: "500",
    });
    return el("li", { class: "alert urgent", dataset: { discrepancy: d.discrepancy_id } }, el("p", { text }), missing, form);
  }

  // --- Class teacher: the class, handing it over, leave, absences, check-out ---

  let classId = localStorage.getItem(CLASS) || "";
  let classChildren = [];
  let myClasses = [];

  // The caller's classes (enrollment's `/me/classes`): a class teacher's the ones they lead, a subject teacher's the
  // ones they teach; the last one chosen is kept in this browser.
  async function loadMyClasses() {
    const all = await AS.pages("/enrollment/v1/me/classes");
    myClasses = all.filter((c) => (role === "class_teacher" ? c.leads : c.subjects.length > 0));
    if (!myClasses.some((c) => c.class_id === classId)) classId = myClasses.length ? myClasses[0].class_id : "";
    for (const select of [$("class-id"), $("hw-class")]) {
      select.replaceChildren(...myClasses.map((c) => el("option", { value: c.class_id, text: `${c.name} (${c.class_id})` })));
      select.value = classId;
    }
    $("no-class").hidden = myClasses.length > 0;
    subjectOfClass();
  }

  // A subject teacher's subject there, unless they typed one.
  function subjectOfClass() {
    const mine = myClasses.find((c) => c.class_id === classId);
    if (role === "subject_teacher" && mine && mine.subjects.length && !$("hw-subject").dataset.typed) {
      $("hw-subject").value = mine.subjects[0];
    }
  }

  async function openClass() {
    if (!classId) return;
    const answer = await AS.api(`/enrollment/v1/students?class_id=${encodeURIComponent(classId)}&status=active&limit=500`);
    if (!answer.ok) return refused(answer);
    classChildren = (await answer.json()).items;
    for (const s of classChildren) names.set(s.student_id, s.name);
    const current = session();
    const staying = current ? classChildren.filter((s) => current.expected_student_ids.includes(s.student_id)) : [];
    $("give-expected").textContent = t("handover.expected").replace("{count}", staying.length);
    $("give-count").value = String(staying.length);
    await loadGiven();
    $("checkout-child").replaceChildren(
      el("option", { value: "", text: t("checkout.pick") }),
      ...classChildren.map((s) => el("option", { value: s.student_id, text: `${s.name} (${s.student_id})` }))
    );
    show("checkout-part");
    // The lists drawn before the names were known are drawn again with them.
    for (const list of document.querySelectorAll("[data-signature]")) delete list.dataset.signature;
  }

  $("class-id").addEventListener("change", () => {
    classId = $("class-id").value;
    localStorage.setItem(CLASS, classId);
    openClass().then(refresh);
  });

  // The class's handover to the session, once given: the counts on both sides instead of the form (AT-1, BX-3).
  async function loadGiven() {
    if (!classId || !sessionId) return;
    const handovers = await AS.pages(`/attendance/v1/sessions/${encodeURIComponent(sessionId)}/handovers`);
    const h = handovers.find((x) => x.class_id === classId);
    $("give-form").hidden = Boolean(h);
    const status = $("give-status");
    status.hidden = !h;
    if (!h) return;
    const given = t("handover.given.ok").replace("{count}", h.count).replace("{expected}", h.expected_count);
    const received =
      h.acknowledged_count === null
        ? t("handover.waiting")
        : t("handover.acknowledged").replace("{count}", h.acknowledged_count);
    status.textContent = `${given} · ${received}`;
  }

  let giveKey = AS.newId();
  $("give-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!sessionId) return;
    const body = { class_id: classId, count: Number($("give-count").value) };
    const answer = await AS.send(`/attendance/v1/sessions/${encodeURIComponent(sessionId)}/handovers`, body, giveKey);
    if (!answer.ok) return refused(answer);
    giveKey = AS.newId();
    const h = await answer.json();
    outcome("created", t("handover.given.ok").replace("{count}", h.count).replace("{expected}", h.expected_count));
    await Promise.all([loadGiven(), loadDiscrepancies()]);
  });

  async function loadLeaves() {
    const pending = await AS.pages("/attendance/v1/leave-requests?status=requested");
    $("leave-none").hidden = pending.length > 0;
    render($("leaves"), pending, leaveRow);
  }

  function leaveRow(leave) {
    const input = `leave-${safe(leave.leave_id)}`;
    const decide = (verb) => async () => {
      const note = $(input).value.trim();
      if (verb === "refuse" && !note) {
        $(input).focus();
        return outcome("refused", t("leave.note.needed"));
      }
      const path = `/attendance/v1/leave-requests/${encodeURIComponent(leave.leave_id)}/${verb}`;
      const answer = await AS.send(path, note ? { note } : {});
      if (!answer.ok) return refused(answer);
      outcome("created", t(`leave.${verb}d`).replace("{who}", who(leave.student_id)));
      await loadLeaves();
    };
    return el(
      "li",
      { dataset: { leave: leave.leave_id, student: leave.student_id } },
      el("p", { text: `${who(leave.student_id)} · ${leave.day} · ${leave.reason}` }),
      el("label", { for: input, text: t("leave.note") }),
      el("input", { id: input, maxlength: "500" }),
      el(
        "div",
        { class: "actions" },
        el("button", { type: "button", text: t("leave.approve"), onclick: decide("approve") }),
        el("button", { type: "button", class: "secondary", text: t("leave.refuse"), onclick: decide("refuse") })
      )
    );
  }

  function absenceRow(c) {
    const key = AS.newId();
    const resolve = async (note) => {
      const answer = await AS.send(`/attendance/v1/absences/${encodeURIComponent(c.case_id)}/resolve`, { note }, key);
      if (!answer.ok) return refused(answer);
      outcome("created", t("absence.resolved"));
      await loadAbsences();
    };
    const form = AS.fieldForm(`case-${safe(c.case_id)}`, t("absence.note"), t("absence.resolve"), resolve, {
      maxlength: "500",
    });
    const opened = new Date(c.opened_at).toTimeString().slice(0, 5);
    return el("li", { class: "alert urgent", dataset: { case: c.case_id } }, el("p", { text: `${who(c.student_id)} · ${c.session_id} · ${opened}` }), form);
  }

  // Check-out to an authorised adult (AT-5, BX-2): the child's pickup list with each person's relation and
  // credential; the restricted are shown as such and cannot be chosen. The service judges again.
  $("checkout-child").addEventListener("change", async () => {
    const studentId = $("checkout-child").value;
    if (!studentId) return $("pickups").replaceChildren();
    const answer = await AS.api(`/enrollment/v1/students/${encodeURIComponent(studentId)}/pickups`);
    if (!answer.ok) return refused(answer);
    const list = await answer.json();
    const key = AS.newId();
    const person = (p, restricted) =>
      el(
        "li",
        { class: restricted ? "alert urgent" : "", dataset: { person: p.person_id } },
        el("p", {}, el("strong", { text: p.name }), ` · ${t("checkout.relation")}: ${p.relation}`),
        el("p", { class: "muted", text: `${t("checkout.credential")}: ${p.credential_ref || "—"}` }),
        restricted
          ? el("p", { class: "refused", text: t("refusal.restricted") })
          : el("button", {
              type: "button",
              text: t("checkout.release").replace("{name}", p.name),
              onclick: async () => {
                const body = { student_id: studentId, occurred_at: AS.deviceTime(), release: "pickup_person", person_id: p.person_id };
                const done = await AS.send("/attendance/v1/check-outs", body, key);
                if (!done.ok) return refused(done);
                outcome("created", t("checkout.done").replace("{who}", who(studentId)).replace("{name}", p.name).replace("{relation}", p.relation));
              },
            })
      );
    const none = list.authorised.length + list.restricted.length ? null : el("li", { class: "muted", text: t("checkout.none") });
    $("pickups").replaceChildren(
      ...list.authorised.map((p) => person(p, false)),
      ...list.restricted.map((p) => person(p, true)),
      ...(none ? [none] : [])
    );
  });

  // --- Subject teacher: homework, with the caps' room read live (HW-1..HW-4) ---

  const hwClass = $("hw-class");
  $("hw-on").value = day;
  $("hw-subject").addEventListener("input", () => ($("hw-subject").dataset.typed = "yes"));

  async function loadRoom() {
    const room = $("room");
    const cls = hwClass.value.trim();
    const on = $("hw-on").value;
    if (!cls || !on) return (room.textContent = "");
    const answer = await AS.api(`/homework/v1/classes/${encodeURIComponent(cls)}/days/${on}`);
    if (!answer.ok) {
      room.textContent = (await AS.json(answer)).detail || String(answer.status);
      room.dataset.written = "";
      return;
    }
    const view = await answer.json();
    const r = view.room;
    room.dataset.written = String(r.written_left);
    room.textContent = t("homework.room")
      .replace("{written_left}", r.written_left)
      .replace("{written_cap}", r.written_cap)
      .replace("{subjects_left}", r.subjects_left)
      .replace("{subjects_cap}", r.subjects_cap)
      + (r.total_cap === null ? "" : " " + t("homework.room.total").replace("{left}", r.total_left).replace("{cap}", r.total_cap));
  }

  const classNames = () => (classId ? learnNames(`?class_id=${encodeURIComponent(classId)}`) : null);

  hwClass.addEventListener("change", async () => {
    classId = hwClass.value;
    localStorage.setItem(CLASS, classId);
    subjectOfClass();
    loadRoom();
    await classNames();
    loadAssignments("");
  });
  $("hw-on").addEventListener("change", () => {
    loadRoom();
    loadAssignments("");
  });

  let hwKey = AS.newId();
  $("homework-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const on = form.on.value;
    const due = new Date(`${on}T12:00:00`);
    due.setDate(due.getDate() + 1);
    const kind = form.kind.value;
    const body = {
      class_id: form.class_id.value.trim(),
      school_subject: form.school_subject.value.trim(),
      kind,
      layer: kind === "written" ? "basic" : null,
      tiers: [{ name: t("homework.tier"), estimated_minutes: Number(form.minutes.value) }],
      on,
      due_on: AS.deviceTime(due).slice(0, 10),
      instructions: form.instructions.value.trim(),
    };
    const answer = await AS.send("/homework/v1/assignments", body, hwKey);
    const box = $("homework-result");
    box.hidden = false;
    if (answer.ok) {
      hwKey = AS.newId();
      box.className = "result created";
      box.dataset.state = "created";
      box.replaceChildren(el("strong", { text: t("homework.done") }));
      const set = await answer.json();
      await Promise.all([loadRoom(), loadAssignments(set.assignment_id)]); // grading opens on what was just set
      return;
    }
    const problem = await AS.json(answer);
    if (answer.status === 401) return AS.signOut();
    hwKey = AS.newId(); // a refusal is an answer: a changed request is a new attempt
    box.className = "result refused";
    box.dataset.state = "refused";
    box.dataset.rule = problem.rule || "";
    const numbers = problem.cap !== undefined
      ? el("p", {
          class: "numbers",
          text: t("homework.numbers")
            .replace("{cap}", problem.cap)
            .replace("{assigned}", problem.assigned_minutes)
            .replace("{requested}", problem.requested_minutes),
        })
      : null;
    box.replaceChildren(
      el("strong", { text: t("homework.refused") }),
      el("p", { class: "why" }, el("span", { class: "rule", text: problem.rule || String(answer.status) }), " ", ruleText(problem.rule)),
      el("p", { class: "muted", text: problem.detail || "" }),
      numbers
    );
  });

  // The rule's words in the page's language (the catalog's `rule.HW-2`), or nothing for a rule it does not name.
  function ruleText(rule) {
    const key = `rule.${rule}`;
    return rule && t(key) !== key ? t(key) : "";
  }

  // --- Subject teacher: grading what was done in the session (HW-7: a teacher of the subject grades it all) ---

  // The class's homework of the day chosen above, to pick the one to grade.
  async function loadAssignments(chosen = $("grade-assignment").value) {
    const cls = hwClass.value;
    const on = $("hw-on").value;
    const select = $("grade-assignment");
    const all = cls && on ? await AS.pages(`/homework/v1/classes/${encodeURIComponent(cls)}/assignments?from=${on}&to=${on}`) : [];
    const live = all.filter((a) => !a.withdrawn);
    select.replaceChildren(
      ...live.map((a) => el("option", { value: a.assignment_id, text: `${a.school_subject} · ${a.instructions}` }))
    );
    if (live.some((a) => a.assignment_id === chosen)) select.value = chosen;
    await loadGrading();
  }

  async function loadGrading() {
    const assignment = $("grade-assignment").value;
    const done = assignment ? await AS.pages(`/homework/v1/assignments/${encodeURIComponent(assignment)}/completions`) : [];
    $("grading-none").hidden = done.length > 0;
    render($("grading"), done, gradingRow);
  }
  $("grade-assignment").addEventListener("change", loadGrading);

  function gradingRow(c) {
    const status = t(`inservice.status.${c.done ? "done" : "not_done"}`).replace("{minutes}", c.actual_minutes);
    const row = el("li", { dataset: { student: c.student_id, graded: c.grade ? "yes" : "no" } }, el("p", { text: `${named(c.student_id)} · ${status}` }));
    if (c.grade) {
      row.append(el("p", { class: "tag ok", text: t("grading.graded").replace("{grade}", c.grade).replace("{feedback}", c.feedback) }));
      return row;
    }
    const id = safe(`${c.assignment_id}-${c.student_id}`);
    const key = AS.newId();
    const form = el(
      "form",
      { class: "card", autocomplete: "off" },
      el("label", { for: `grade-${id}`, text: t("grading.grade") }),
      el("select", { id: `grade-${id}` }, ...["优", "良", "中", "待改进"].map((g) => el("option", { value: g, text: g }))),
      el("label", { for: `feedback-${id}`, text: t("grading.feedback") }),
      el("input", { id: `feedback-${id}`, required: true, maxlength: "2000" }),
      el("button", { type: "submit", text: t("grading.submit") })
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { grade: $(`grade-${id}`).value, feedback: $(`feedback-${id}`).value.trim() };
      const path = `/homework/v1/assignments/${encodeURIComponent(c.assignment_id)}/completions/${encodeURIComponent(c.student_id)}/grade`;
      const answer = await AS.send(path, body, key);
      if (!answer.ok) return refused(answer);
      outcome("created", t("grading.done").replace("{who}", named(c.student_id)));
      await loadGrading();
    });
    row.append(form);
    return row;
  }

  // --- Which parts each role sees, and keeping them fresh ---

  async function refresh() {
    if (role === "service_teacher") {
      await Promise.all([loadRollCall(), loadReceived(), loadDiscrepancies(), loadAbsences()]);
    } else if (role === "class_teacher") {
      await Promise.all([loadGiven(), loadDiscrepancies(), loadLeaves(), loadAbsences()]);
    } else {
      await loadGrading();
    }
    document.body.dataset.loaded = "yes";
  }

  async function start() {
    if (role === "service_teacher") {
      show("session-part", "board-part", "rollcall-part", "inservice-part", "received-part", "discrepancy-part", "absence-part");
      await Promise.all([loadSessions(), learnNames()]);
      followBoard();
    } else if (role === "class_teacher") {
      show("session-part", "give-part", "discrepancy-part", "leave-part", "absence-part");
      await Promise.all([loadSessions(), loadMyClasses()]);
      await openClass();
    } else {
      show("homework-part", "grading-part");
      await loadMyClasses();
      await classNames();
      await Promise.all([loadRoom(), loadAssignments()]);
    }
    await refresh();
    setInterval(refresh, 5000); // the board, handovers and cases as others change them
  }

  start();
})();
