/* Intake: the procedure (its components as a checklist), the applicant (typed, or read from
   the ID card through POST /v1/extract and confirmed by the clerk), the files; then the dossier
   is created and every file uploaded with its progress, and the dossier page follows them. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const procedures = Desk.json("procedures") || [];
  const form = document.getElementById("intake");
  const select = document.getElementById("procedure");
  const list = document.getElementById("component-list");
  const error = document.getElementById("intake-error");
  const idInput = document.getElementById("applicant-id");
  const nameInput = document.getElementById("applicant-name");
  let createKey = Desk.uuid();

  const current = () => procedures.find((p) => p.code === select.value) || { components: [] };
  const files = new DeskFiles(() => current().components.map((c) => c.name));

  function renderComponents() {
    list.replaceChildren(...current().components.map((c, i) => Desk.el("li", {},
      Desk.el("input", { type: "checkbox", id: `component-${i}`, name: "component", value: c.name }),
      Desk.el("label", { for: `component-${i}` }, c.name,
        c.copies > 1 ? ` × ${c.copies} ${form.dataset.copiesWord}` : "",
        c.required ? [" ", Desk.el("span", { class: "tag" }, form.dataset.requiredWord)] : null))));
    files.refresh();
  }

  function tick(name) {
    for (const box of list.querySelectorAll("input[type=checkbox]")) if (box.value === name) box.checked = true;
  }

  select.addEventListener("change", renderComponents);
  // A file given a component is that component received: tick it on the checklist.
  document.getElementById("file-list").addEventListener("change", (event) => {
    if (event.target.tagName === "SELECT" && event.target.value) tick(event.target.value);
  });
  renderComponents();

  // "Đọc thẻ CCCD": read the card, show what was read, and let the clerk confirm it.
  const cardInput = document.getElementById("card-file");
  const cardResult = document.getElementById("card-result");
  cardInput.addEventListener("change", async () => {
    const file = cardInput.files[0];
    cardInput.value = "";
    if (!file) return;
    cardResult.replaceChildren(Desk.el("p", { class: "busy" }, Desk.t("reading_card", "…")));
    const data = new FormData();
    data.append("file", file, file.name);
    let read;
    try {
      read = await Desk.api("POST", "/v1/extract", data);
    } catch (e) {
      cardResult.replaceChildren(Desk.el("p", { class: "error" }, e.message));
      return;
    }
    if (read.form_type !== "cccd") {
      cardResult.replaceChildren(Desk.el("p", { class: "error" }, Desk.t("card_not_cccd")));
      return;
    }
    const f = read.fields;
    const value = (name) => (f[name] && f[name].value) || "";
    const row = (label, name) => [Desk.el("dt", {}, label),
      Desk.el("dd", { class: f[name] && f[name].review ? "flagged" : "", "data-field": name },
        value(name) || Desk.t("no_value"),
        f[name] && f[name].review ? Desk.el("small", {}, ` — ${(f[name].reasons || []).map((r) =>
          Desk.lang === "vi" ? r.message_vi : r.message).join(" ")}`) : null)];
    const use = Desk.el("button", { type: "button", class: "primary", id: "card-use" }, Desk.t("card_use"));
    use.addEventListener("click", () => {
      idInput.value = value("id_number");
      nameInput.value = value("full_name");
      const cardComponent = current().components.find((c) => c.form_type === "cccd");
      files.add([file], cardComponent ? cardComponent.name : undefined);
      if (cardComponent) tick(cardComponent.name);
      cardResult.replaceChildren();
      idInput.focus();
    });
    cardResult.replaceChildren(
      Desk.el("p", {}, Desk.t("card_read")),
      Desk.el("dl", { class: "read" }, row("", "full_name"),
        row("", "id_number"), row("", "date_of_birth")),
      use);
    const terms = cardResult.querySelectorAll("dt");
    terms[0].textContent = document.querySelector('label[for="applicant-name"]').textContent;
    terms[1].textContent = document.querySelector('label[for="applicant-id"]').textContent;
    terms[2].textContent = form.dataset.dobWord;
    use.focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const id = idInput.value.trim();
    if (!/^[0-9A-Za-z]{8,32}$/.test(id)) {
      error.textContent = Desk.t("need_id");
      error.hidden = false;
      idInput.focus();
      return;
    }
    const button = document.getElementById("create");
    button.disabled = true;
    const body = { procedure_code: select.value, applicant_id_number: id,
                   review: document.getElementById("review").value };
    if (nameInput.value.trim()) body.applicant_name = nameInput.value.trim();
    try {
      const dossier = await Desk.api("POST", "/v1/dossiers", body, { idempotencyKey: createKey });
      Desk.flash(`${Desk.t("created")}: ${dossier.dossier_code}`);
      const ok = await files.uploadAll(dossier.id);
      createKey = Desk.uuid();
      const page = `/desk/dossiers/${dossier.id}`;
      if (ok) { location.assign(page); return; }
      error.replaceChildren(Desk.t("upload_failed"), " — ",
        Desk.el("a", { href: page }, dossier.dossier_code));
      error.hidden = false;
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
});
