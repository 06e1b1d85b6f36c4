/* A dossier's documents, live: GET /v1/dossiers/{id} every 2 s (paused while the tab is hidden);
   a row is redrawn only when its document changed, so focus and reading are not disturbed. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("dossier");
  const id = root.dataset.id;
  const body = document.getElementById("documents");
  const procedures = Object.fromEntries((Desk.json("procedure-names") || []).map((p) => [p.code, p.name]));
  const drawn = new Map();
  let components = [];
  const files = new DeskFiles(() => components);

  function row(doc) {
    const status = Desk.el("span", { class: `badge ${doc.status}` }, Desk.statusLabel(doc.status));
    const stage = doc.status === "processing" && doc.stage ? Desk.el("small", {}, ` · ${Desk.stageLabel(doc.stage)}`) : null;
    const problem = doc.error ? Desk.el("p", { class: "error" },
      Desk.lang === "vi" ? (doc.error.message_vi || doc.error.message) : doc.error.message,
      Desk.el("br"), Desk.el("strong", {}, Desk.hint(doc.error.code))) : null;
    let action = null;
    if (doc.status === "needs_review") {
      action = Desk.el("a", { class: "button primary", href: `/desk/review/${doc.id}` }, Desk.t("open_review"));
    } else if (doc.status === "archived" && doc.record_id) {
      action = Desk.el("a", { class: "button", href: `/v1/records/${doc.record_id}/pdf`, download: `${doc.record_id}.pdf` }, Desk.t("download"));
    }
    const fraction = doc.status === "archived" ? 1 : doc.progress;
    const bar = Desk.el("progress", { max: "1", value: String(fraction),
      "aria-label": `${doc.filename}: ${Math.round(fraction * 100)} %` });
    return Desk.el("tr", { "data-document": doc.id, "data-status": doc.status },
      Desk.el("td", {}, doc.filename), Desk.el("td", {}, doc.component || "—"),
      Desk.el("td", {}, status, stage, problem), Desk.el("td", {}, bar), Desk.el("td", {}, action));
  }

  async function poll() {
    if (document.hidden) return;
    let dossier;
    try {
      dossier = await Desk.api("GET", `/v1/dossiers/${id}`);
    } catch (e) {
      if (e.status !== 401) Desk.flash(e.message, "warn");
      return;
    }
    document.getElementById("dossier-code").textContent = dossier.dossier_code;
    document.getElementById("dossier-procedure").textContent =
      `${dossier.procedure_code} — ${procedures[dossier.procedure_code] || ""}`;
    document.getElementById("dossier-created").textContent = Desk.time(dossier.created_at);
    components = ((Desk.json("procedure-names") || []).find((p) => p.code === dossier.procedure_code) || { components: [] }).components.map((c) => c.name);
    if (!dossier.documents.length) return;
    if (!drawn.size) body.replaceChildren();
    for (const doc of dossier.documents) {
      const key = JSON.stringify([doc.status, doc.stage, doc.progress, doc.error, doc.record_id]);
      const before = drawn.get(doc.id);
      if (before && before.key === key) continue;
      const node = row(doc);
      if (before) before.node.replaceWith(node); else body.append(node);
      drawn.set(doc.id, { key, node });
    }
  }

  document.getElementById("add-files").addEventListener("submit", async (event) => {
    event.preventDefault();
    await files.uploadAll(id);
    poll();
  });

  const done = new URLSearchParams(location.search).get("done");
  if (done) Desk.flash(Desk.t(done === "approved" ? "approved" : "rejected"));
  poll();
  setInterval(poll, 2000);
});
