/* Review beside the scan: the page image with every field's box drawn over it (SVG in the page's
   pixel coordinates), the fields with the flagged ones first and their reasons. Keyboard first:
   Tab moves between fields, Enter saves the field (PATCH, its new reasons shown at once),
   Ctrl+Enter approves (the fields ticked "giữ nguyên" are taken on), Esc shows the whole page.
   After approving or rejecting, the next document waiting for review opens. */
"use strict";

document.addEventListener("DOMContentLoaded", async () => {
  const root = document.getElementById("review");
  const id = root.dataset.id;
  const labelsByForm = Desk.json("labels") || {};
  const list = document.getElementById("field-list");
  const error = document.getElementById("review-error");
  const viewport = document.getElementById("viewport");
  const stage = document.getElementById("stage");
  const image = document.getElementById("page-image");
  const svg = document.getElementById("boxes");
  const pageSelect = document.getElementById("page-select");
  const SVG = "http://www.w3.org/2000/svg";
  const approveKey = Desk.uuid();
  let doc = null;
  let labels = {};
  let page = null;
  let selected = null;
  const saved = new Map();  // field -> the value last saved (JSON), to find unsaved edits

  const reasonText = (r) => (Desk.lang === "vi" ? r.message_vi : r.message);
  const isTable = (f) => Array.isArray(f.value);
  const label = (name) => labels[name] || name;

  function flaggedFirst(fields) {
    const names = Object.keys(fields);
    return names.filter((n) => fields[n].review).concat(names.filter((n) => !fields[n].review));
  }

  /* --- the page and its boxes ---------------------------------------------------------------- */

  function showPage(number) {
    const p = doc.pages.find((x) => x.page === number) || doc.pages[0];
    if (!p) return;
    if (page && page.page === p.page) return;
    page = p;
    pageSelect.value = String(p.page);
    const width = Math.min(p.width, 1600);
    image.src = `${p.image_url}?width=${width}`;
    image.alt = `${Desk.t("page", "Trang")} ${p.page}`;
    svg.setAttribute("viewBox", `0 0 ${p.width} ${p.height}`);
    stage.style.aspectRatio = `${p.width} / ${p.height}`;
    drawBoxes();
    wholePage();
  }

  function drawBoxes() {
    svg.replaceChildren();
    if (!page) return;
    for (const [name, f] of Object.entries(doc.fields)) {
      if (f.page !== page.page || !f.box) continue;
      const shape = document.createElementNS(SVG, "polygon");
      shape.setAttribute("points", f.box.map(([x, y]) => `${x},${y}`).join(" "));
      shape.setAttribute("class", `box${f.review ? " flagged" : ""}${name === selected ? " selected" : ""}`);
      shape.dataset.field = name;
      shape.addEventListener("click", () => focusField(name));
      svg.append(shape);
    }
  }

  function transform(scale, x, y) {
    stage.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
  }

  function wholePage() {
    const vw = viewport.clientWidth, vh = viewport.clientHeight;
    const sw = stage.offsetWidth, sh = stage.offsetHeight || vh;
    const scale = Math.min(1, vh / sh);
    transform(scale, (vw - sw * scale) / 2, 0);
  }

  /* Zoom to a field's box: at most 60 % of the viewer's width and 2.2×, centred, never past the page. */
  function zoomTo(f) {
    if (!f.box || !page) return;
    const xs = f.box.map((p) => p[0]), ys = f.box.map((p) => p[1]);
    const k = stage.offsetWidth / page.width;
    const x0 = Math.min(...xs) * k, x1 = Math.max(...xs) * k, y0 = Math.min(...ys) * k, y1 = Math.max(...ys) * k;
    const vw = viewport.clientWidth, vh = viewport.clientHeight;
    const scale = Math.max(1, Math.min(2.2, (vw * 0.6) / Math.max(1, x1 - x0), (vh * 0.3) / Math.max(1, y1 - y0)));
    const sw = stage.offsetWidth * scale, sh = stage.offsetHeight * scale;
    let x = vw / 2 - ((x0 + x1) / 2) * scale, y = vh / 2 - ((y0 + y1) / 2) * scale;
    x = Math.min(0, Math.max(vw - sw, x));
    y = Math.min(0, Math.max(Math.min(0, vh - sh), y));
    transform(scale, x, y);
  }

  function select(name) {
    selected = name;
    const f = doc.fields[name];
    for (const li of list.children) li.classList.toggle("selected", li.dataset.field === name);
    if (f && f.page) showPage(f.page);
    drawBoxes();
    if (f && f.box) zoomTo(f); else wholePage();
  }

  /* --- the fields ---------------------------------------------------------------------------- */

  function valueOf(name) {
    const f = doc.fields[name];
    const li = list.querySelector(`li[data-field="${name}"]`);
    if (!isTable(f)) return li.querySelector("input.value").value.trim() || null;
    // A row left or made empty is no row: clearing every cell of a row deletes it.
    return Array.from(li.querySelectorAll("tbody tr"), (tr) => Object.fromEntries(
      Array.from(tr.querySelectorAll("input"), (input) => [input.dataset.column, input.value.trim() || null])))
      .filter((row) => Object.values(row).some((v) => v !== null));
  }

  function reasonsNode(f) {
    const reasons = f.reasons || [];
    return Desk.el("ul", { class: "reasons" }, reasons.map((r) => Desk.el("li", { "data-code": r.code }, reasonText(r))));
  }

  /* A table's columns: those of its rows, or, for a table read with no row (not found on the
     page), those the form's labels name ("members.full_name"), so rows can still be typed in. */
  function columnsOf(name, f) {
    const seen = Array.from(new Set(f.value.flatMap((row) => Object.keys(row))));
    if (seen.length) return seen;
    const prefix = `${name}.`;
    return Object.keys(labels).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  }

  function rowNode(name, columns, row, i) {
    return Desk.el("tr", {},
      Desk.el("th", { scope: "row" }, String(i + 1)),
      columns.map((c) => Desk.el("td", {}, Desk.el("input", {
        class: "cell", "data-column": c, value: row[c] ?? "",
        "aria-label": `${label(name)} — ${Desk.t("table_row")} ${i + 1} — ${label(`${name}.${c}`)}` }))));
  }

  function tableNode(name, f) {
    const columns = columnsOf(name, f);
    return Desk.el("table", { class: "rows" },
      Desk.el("thead", {}, Desk.el("tr", {}, Desk.el("th", { scope: "col" }, "#"),
        columns.map((c) => Desk.el("th", { scope: "col" }, label(`${name}.${c}`))))),
      Desk.el("tbody", {}, f.value.map((row, i) => rowNode(name, columns, row, i))));
  }

  /* A row the reading missed is typed in: an empty row at the end, its first cell focused. */
  function addRowButton(name, f, table) {
    const button = Desk.el("button", { type: "button", class: "add-row" }, Desk.t("table_add_row"));
    button.addEventListener("click", () => {
      const body = table.querySelector("tbody");
      const row = rowNode(name, columnsOf(name, f), {}, body.children.length);
      body.append(row);
      row.querySelector("input").focus();
    });
    return button;
  }

  function fieldNode(name) {
    const f = doc.fields[name];
    const inputId = `field-${name}`;
    const li = Desk.el("li", { class: `field${f.review ? " flagged" : ""}`, "data-field": name });
    const head = Desk.el("label", { for: inputId }, label(name));
    let editor;
    let addRow = null;
    if (isTable(f)) {
      editor = tableNode(name, f);
      head.removeAttribute("for");
      head.id = inputId;
      editor.setAttribute("aria-labelledby", inputId);
      addRow = addRowButton(name, f, editor);
    } else {
      editor = Desk.el("input", { id: inputId, class: "value", value: f.value ?? "", autocomplete: "off",
                                  spellcheck: "false", "aria-describedby": `${inputId}-reasons` });
    }
    const reasons = reasonsNode(f);
    reasons.id = `${inputId}-reasons`;
    const raw = f.raw && !isTable(f) ? Desk.el("p", { class: "raw" }, `${Desk.t("ocr_read")}: `, Desk.el("q", {}, f.raw)) : null;
    const keep = f.review ? Desk.el("span", { class: "keep" },
      Desk.el("input", { type: "checkbox", id: `${inputId}-keep`, class: "keep-box" }),
      Desk.el("label", { for: `${inputId}-keep` }, Desk.t("keep"))) : null;
    li.append(head, editor, addRow || "", keep || "", reasons, raw || "");
    li.addEventListener("focusin", () => { if (selected !== name) select(name); });
    return li;
  }

  function renderFields() {
    const order = flaggedFirst(doc.fields);
    list.replaceChildren(...order.map(fieldNode));
    for (const name of order) saved.set(name, JSON.stringify(valueOf(name)));
    const reasons = document.getElementById("doc-reasons");
    reasons.replaceChildren();
    if (doc.reasons && doc.reasons.length) {
      reasons.append(Desk.el("div", { class: "notice warn" }, Desk.el("strong", {}, Desk.t("doc_reasons", "")),
        Desk.el("ul", {}, doc.reasons.map((r) => Desk.el("li", {}, reasonText(r), " ", Desk.el("em", {}, Desk.hint(r.code)))))));
    }
  }

  /* One field's answer from the API: its value, flag and reasons redrawn in place. */
  function refreshField(name) {
    const f = doc.fields[name];
    const li = list.querySelector(`li[data-field="${name}"]`);
    const kept = li.querySelector(".keep-box");
    const wasKept = kept && kept.checked;
    const fresh = fieldNode(name);
    if (wasKept && fresh.querySelector(".keep-box")) fresh.querySelector(".keep-box").checked = true;
    fresh.classList.add("selected");
    li.replaceWith(fresh);
    saved.set(name, JSON.stringify(valueOf(name)));
    drawBoxes();
    return fresh;
  }

  async function save(name) {
    const value = valueOf(name);
    const answer = await Desk.api("PATCH", `/v1/documents/${id}/fields`, { fields: { [name]: value } });
    doc = answer;
    const fresh = refreshField(name);
    Desk.flash(`${Desk.t("saved")}: ${label(name)}`);
    return fresh;
  }

  async function saveEdits() {
    for (const name of Object.keys(doc.fields)) {
      if (JSON.stringify(valueOf(name)) !== saved.get(name)) await save(name);
    }
  }

  function focusField(name) {
    const li = list.querySelector(`li[data-field="${name}"]`);
    const input = li && li.querySelector("input");
    if (input) input.focus();
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }

  /* --- approve, reject, next ----------------------------------------------------------------- */

  async function next(done) {
    let queue = { items: [] };
    try { queue = await Desk.api("GET", "/v1/documents?status=needs_review&limit=20"); } catch (e) { /* go to the dossier */ }
    const other = queue.items.find((d) => d.id !== id);
    location.assign(other ? `/desk/review/${other.id}?done=${done}` : `/desk/dossiers/${doc.dossier_id}?done=${done}`);
  }

  async function approve() {
    error.hidden = true;
    try {
      await saveEdits();
      const accept = Array.from(list.querySelectorAll(".keep-box:checked"), (box) => box.closest("li").dataset.field)
        .filter((name) => doc.fields[name] && doc.fields[name].review);
      await Desk.api("POST", `/v1/documents/${id}/approve`, { accept_flagged: accept }, { idempotencyKey: approveKey });
      Desk.flash(Desk.t("approved"));
      await next("approved");
    } catch (e) {
      if (e.code === "flagged_not_accepted") {
        const waiting = doc.flagged.filter((name) => !list.querySelector(`li[data-field="${name}"] .keep-box:checked`));
        showError(`${Desk.t("need_keep")} ${waiting.map(label).join(", ")}`);
        if (waiting.length) focusField(waiting[0]);
      } else {
        showError(e.message);
      }
    }
  }

  list.addEventListener("keydown", async (event) => {
    if (event.key !== "Enter" || event.ctrlKey || event.metaKey) return;
    const li = event.target.closest("li.field");
    if (!li || event.target.type === "checkbox" || event.target.tagName === "BUTTON") return;
    event.preventDefault();
    try {
      const fresh = await save(li.dataset.field);
      const again = fresh.querySelector("input");
      if (again) again.focus();
    } catch (e) {
      showError(e.message);
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      approve();
    } else if (event.key === "Escape") {
      wholePage();
    }
  });

  document.getElementById("fields-form").addEventListener("submit", (event) => { event.preventDefault(); approve(); });
  document.getElementById("whole-page").addEventListener("click", wholePage);
  pageSelect.addEventListener("change", () => { showPage(Number(pageSelect.value)); });
  window.addEventListener("resize", () => { if (selected && doc.fields[selected]) zoomTo(doc.fields[selected]); else wholePage(); });
  image.addEventListener("load", () => { if (selected && doc.fields[selected]) zoomTo(doc.fields[selected]); else wholePage(); });

  document.getElementById("reject-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = document.getElementById("reject-reason").value.trim();
    if (!reason) return;
    try {
      await Desk.api("POST", `/v1/documents/${id}/reject`, { reason }, { idempotencyKey: Desk.uuid() });
      await next("rejected");
    } catch (e) {
      showError(e.message);
    }
  });

  /* --- start --------------------------------------------------------------------------------- */

  const done = new URLSearchParams(location.search).get("done");
  if (done) Desk.flash(Desk.t(done === "approved" ? "approved" : "rejected"));
  try {
    doc = await Desk.api("GET", `/v1/documents/${id}`);
  } catch (e) {
    showError(e.message);
    return;
  }
  labels = labelsByForm[doc.form_type] || {};
  document.getElementById("doc-name").textContent = doc.filename;
  pageSelect.replaceChildren(...doc.pages.map((p) => Desk.el("option", { value: String(p.page) }, String(p.page))));
  if (doc.status !== "needs_review") {
    showError(`${Desk.statusLabel(doc.status)} — ${doc.filename}`);
    document.getElementById("approve").disabled = true;
  }
  renderFields();
  if (doc.pages.length) showPage(doc.pages[0].page);
  const first = list.querySelector("li.field input");
  if (first) first.focus();
});
