// The sign-in: back from the district identity provider, keep its token; or (development) mint a token for the
// chosen person, keep it in this browser, open their page.
"use strict";

(() => {
  // Back from the district's identity provider (web/oidc.py): keep the user's own access token, open their page.
  const district = document.getElementById("district-token");
  if (district) {
    AS.signIn(district.dataset.token);
    location.replace(`${district.dataset.page}?lang=${encodeURIComponent(AS.config.lang)}`);
    return;
  }
  // Back from signing out at the district's identity provider: nothing of the session stays in this browser.
  if (document.getElementById("signed-out")) {
    AS.forget();
    return;
  }
  const form = document.getElementById("signin");
  if (!form) return;
  const status = document.getElementById("signin-status");

  async function signIn(role, school, subject, classId = "") {
    const answer = await fetch(`${AS.config.mount}/signin/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ role, school_id: school, subject }),
    });
    const body = await answer.json();
    if (!answer.ok) {
      status.textContent = body.detail || String(answer.status);
      return;
    }
    AS.signIn(body.token);
    // A demo teacher's class: the teacher's page opens on it first (of the classes enrollment lists as theirs).
    if (classId) localStorage.setItem("afterschool.class", classId);
    status.textContent = AS.t("signin.done");
    location.assign(`${body.page}?lang=${encodeURIComponent(AS.config.lang)}`);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    signIn(form.role.value, form.school_id.value.trim(), form.subject.value.trim());
  });
  for (const button of document.querySelectorAll("button.person")) {
    button.addEventListener("click", () => signIn(button.dataset.role, button.dataset.school, button.dataset.subject, button.dataset.class));
  }
})();
