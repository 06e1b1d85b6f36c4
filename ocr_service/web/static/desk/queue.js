/* The agency's review queue (GET /v1/documents?status=needs_review): longest waiting first,
   refreshed every 5 s. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const names = Desk.json("form-names") || {};
  const body = document.getElementById("queue");
  const empty = document.getElementById("queue-empty");

  async function load() {
    if (document.hidden) return;
    let queue;
    try { queue = await Desk.api("GET", "/v1/documents?status=needs_review"); } catch (e) {
      if (e.status !== 401) Desk.flash(e.message, "warn");
      return;
    }
    empty.hidden = queue.items.length > 0;
    body.replaceChildren(...queue.items.map((d) => Desk.el("tr", { "data-document": d.id },
      Desk.el("td", {}, Desk.el("a", { href: `/desk/dossiers/${d.dossier_id}` }, d.dossier_code)),
      Desk.el("td", {}, d.procedure_code), Desk.el("td", {}, d.filename),
      Desk.el("td", {}, names[d.form_type] || d.form_type || "—"),
      Desk.el("td", {}, Desk.time(d.updated_at)),
      Desk.el("td", {}, Desk.el("a", { class: "button primary", href: `/desk/review/${d.id}` }, Desk.t("open_review"))))));
  }

  load();
  setInterval(load, 5000);
});
