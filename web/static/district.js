// The district operator's page: each school's live numbers (BX-6, attendance's district stream), the month's
// roll-up of statements per school as CSV or XLSX (stipend), and the Grafana dashboards. The services' own API,
// with this token (a district operator's: a district, no school).
"use strict";

(() => {
  const me = AS.requireRole("district_operator");
  if (!me) return;
  const $ = (id) => document.getElementById(id);
  const { t, refused } = AS;
  $("who").textContent = `${t("role.district_operator")} · ${me.district}`;

  function showBoard(board) {
    $("board-none").hidden = board.schools.length > 0;
    $("schools").tBodies[0].replaceChildren(
      ...board.schools.map((s) => AS.boardRow(s.school_id, { school: s.school_id }, s.totals, [["sessions", s.sessions]]))
    );
    document.body.dataset.board = "shown";
  }

  function setLive(ok) {
    $("board-live").textContent = t(ok ? "guardian.live" : "guardian.reconnecting");
    $("board-live").classList.toggle("offline", !ok);
  }

  // The month before the device's: the one a roll-up is usually read for.
  const last = new Date(`${AS.today()}T12:00:00`);
  last.setDate(0);
  $("rollup-month").value = AS.deviceTime(last).slice(0, 7);

  for (const button of document.querySelectorAll("button.download")) {
    button.addEventListener("click", async () => {
      const month = $("rollup-month").value;
      const { format } = button.dataset;
      const answer = await AS.download(`/stipend/v1/district/months/${month}?format=${format}`, `district-${month}.${format}`);
      if (!answer.ok) return refused(answer);
    });
  }

  AS.followBoard("/attendance/v1/board/district/stream", showBoard, setLive);
})();
