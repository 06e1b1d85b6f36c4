/* Files waiting to be uploaded: chosen with the picker (or the phone's camera) or dropped on the
   zone, each with the dossier component it is and, while it uploads, its own progress bar. */
"use strict";

class DeskFiles {
  /* components(): the component names offered for each file (the procedure's). */
  constructor(components) {
    this.components = components;
    this.items = [];
    this.list = document.getElementById("file-list");
    const input = document.getElementById("files");
    const zone = document.getElementById("dropzone");
    input.addEventListener("change", () => { this.add(input.files); input.value = ""; });
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      this.add(e.dataTransfer.files);
    });
  }

  add(files, component) {
    for (const file of files) this.items.push(this.row(file, component));
  }

  row(file, component) {
    const n = DeskFiles.counter = (DeskFiles.counter || 0) + 1;
    const select = Desk.el("select", { id: `file-component-${n}` },
      Desk.el("option", { value: "" }, "—"),
      this.components().map((name) => Desk.el("option", { value: name, selected: name === component }, name)));
    const progress = Desk.el("progress", { id: `file-progress-${n}`, max: "1", value: "0" });
    const state = Desk.el("span", { class: "file-state", "aria-live": "polite" });
    const item = { file, select, progress, state, done: false };
    const remove = Desk.el("button", { type: "button", class: "quiet", onclick: () => {
      this.items = this.items.filter((x) => x !== item);
      item.node.remove();
    } }, Desk.t("remove", "×"));
    remove.setAttribute("aria-label", `${Desk.t("remove")}: ${file.name}`);
    item.node = Desk.el("li", { class: "file" },
      Desk.el("span", { class: "file-name" }, file.name, Desk.el("small", {}, ` ${(file.size / 1048576).toFixed(1)} MB`)),
      Desk.el("label", { for: select.id, class: "visually-hidden" }, `${Desk.t("file_component")}: ${file.name}`),
      select,
      Desk.el("label", { for: progress.id, class: "visually-hidden" }, `${Desk.t("uploading")} ${file.name}`),
      progress, state, remove);
    this.list.append(item.node);
    return item;
  }

  /* New component names (another procedure chosen): keep each file's choice where it still exists. */
  refresh() {
    for (const item of this.items) {
      const chosen = item.select.value;
      item.select.replaceChildren(Desk.el("option", { value: "" }, "—"),
        this.components().map((name) => Desk.el("option", { value: name, selected: name === chosen }, name)));
    }
  }

  /* Upload every file not yet uploaded, two at a time; true when all succeeded. */
  async uploadAll(dossierId) {
    const waiting = this.items.filter((item) => !item.done);
    let ok = true;
    const one = async (item) => {
      const data = new FormData();
      data.append("file", item.file, item.file.name);
      if (item.select.value) data.append("component", item.select.value);
      item.state.textContent = Desk.t("uploading");
      item.key = item.key || Desk.uuid();
      try {
        await Desk.upload(`/v1/dossiers/${dossierId}/documents`, data,
          (fraction) => { item.progress.value = fraction; }, item.key);
        item.progress.value = 1;
        item.done = true;
        item.state.textContent = Desk.t("uploaded");
        item.node.classList.add("done");
      } catch (e) {
        ok = false;
        item.state.textContent = `${Desk.t("upload_failed")}: ${e.message} ${Desk.hint(e.code)}`;
        item.node.classList.add("failed");
      }
    };
    const queue = waiting.slice();
    const runners = [0, 1].map(async () => { while (queue.length) await one(queue.shift()); });
    await Promise.all(runners);
    return ok;
  }
}
