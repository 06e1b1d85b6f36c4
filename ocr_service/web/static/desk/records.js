/* Reuse search: a person's valid e-records by ID number (GET /v1/records?owner_id=), each with
   its signed PDF and a check of its signatures and archived state (POST /v1/verify). */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const names = Desk.json("form-names") || {};
  const form = document.getElementById("search");
  const input = document.getElementById("owner-id");
  const table = document.getElementById("records-table");
  const body = document.getElementById("records");
  const none = document.getElementById("no-records");

  async function verify(record, out, button) {
    button.disabled = true;
    out.textContent = Desk.t("checking");
    try {
      const pdf = await fetch(record.pdf_url, { credentials: "same-origin" });
      if (pdf.status === 401) { Desk.toLogin(); return; }
      const data = new FormData();
      data.append("file", await pdf.blob(), `${record.id}.pdf`);
      const answer = await Desk.api("POST", "/v1/verify", data);
      const why = answer.reasons.map((r) => (Desk.lang === "vi" ? r.message_vi : r.message)).join(" ");
      out.className = answer.valid ? "verdict ok" : "verdict bad";
      out.textContent = answer.valid ? Desk.t("valid") : `${Desk.t("invalid")}: ${why}`;
    } catch (e) {
      out.className = "verdict bad";
      out.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  }

  function row(record) {
    const out = Desk.el("span", { class: "verdict", "aria-live": "polite" });
    const check = Desk.el("button", { type: "button" }, Desk.t("verify"));
    check.addEventListener("click", () => verify(record, out, check));
    return Desk.el("tr", { "data-record": record.id },
      Desk.el("td", {}, names[record.doc_type] || record.doc_type),
      Desk.el("td", {}, Desk.time(record.created_at)),
      Desk.el("td", {}, Desk.t(`state.${record.state}`, record.state)),
      Desk.el("td", {}, Desk.el("a", { class: "button", href: record.pdf_url, download: `${record.id}.pdf` }, Desk.t("download")),
        " ", check, " ", out));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const owner = input.value.trim();
    if (!owner) { input.focus(); return; }
    try {
      const found = await Desk.api("GET", `/v1/records?owner_id=${encodeURIComponent(owner)}`);
      body.replaceChildren(...found.items.map(row));
      table.hidden = found.items.length === 0;
      none.hidden = found.items.length > 0;
    } catch (e) {
      Desk.flash(e.message, "warn");
    }
  });
  const asked = new URLSearchParams(location.search).get("owner_id");
  if (asked) { input.value = asked; form.requestSubmit(); }
});
