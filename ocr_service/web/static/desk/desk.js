/* The desk's shared helpers: calls to the JSON API with the session cookie and the CSRF token,
   the translated words of the page, and small DOM builders. No framework: counters sit on
   closed networks, and each page needs only a few dozen lines of its own. */
"use strict";

const Desk = (() => {
  const text = JSON.parse(document.getElementById("desk-text").textContent);
  const lang = document.documentElement.lang || "vi";

  function t(key, fallback) {
    return Object.prototype.hasOwnProperty.call(text, key) ? text[key] : (fallback ?? key);
  }

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /* The session ended while the page was open (timed out, logged out elsewhere): back to the
     login page, which returns here afterwards. */
  function toLogin() {
    const here = location.pathname + location.search;
    location.assign("/desk/login?expired=1&next=" + encodeURIComponent(here));
  }

  /* A random UUID without crypto.randomUUID, which browsers give only to HTTPS pages: a counter
     on a closed network may serve the desk over plain HTTP. */
  function uuid() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  class ApiError extends Error {
    constructor(status, error) {
      super(error ? (lang === "vi" ? error.message_vi || error.message : error.message) : t("network"));
      this.status = status;
      this.code = error ? error.code : "network";
    }
  }

  /* One API call. ``body``: a plain object (sent as JSON) or FormData. ``idempotent``: send an
     Idempotency-Key (a retried POST is then the same request, not a second dossier). */
  async function api(method, url, body, options = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrf();
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    let payload;
    if (body instanceof FormData || body instanceof Blob) payload = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let answer;
    try {
      answer = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
    } catch (e) {
      throw new ApiError(0, null);
    }
    if (answer.status === 401 && !options.noRedirect) {
      toLogin();
      throw new ApiError(401, { code: "unauthorized", message: t("network"), message_vi: t("network") });
    }
    if (answer.status === 204) return null;
    const type = answer.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await answer.json() : null;
    if (!answer.ok) throw new ApiError(answer.status, data && data.error ? data.error : null);
    return data;
  }

  /* An upload with a progress callback (fetch cannot report upload progress). */
  function upload(url, formData, onProgress, idempotencyKey) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      if (idempotencyKey) xhr.setRequestHeader("Idempotency-Key", idempotencyKey);
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      });
      xhr.addEventListener("load", () => {
        if (xhr.status === 401) { toLogin(); return; }
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(new ApiError(xhr.status, data && data.error ? data.error : null));
      });
      xhr.addEventListener("error", () => reject(new ApiError(0, null)));
      xhr.send(formData);
    });
  }

  /* el("p", {class: "x", onclick: f}, "text", child) */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function flash(message, kind = "ok") {
    const box = document.getElementById("flash");
    if (!box) return;
    box.replaceChildren(el("p", { class: `notice ${kind}` }, message));
  }

  function time(iso) {
    if (!iso) return "";
    // dd/mm/yyyy hh:mm in Vietnam time, as Vietnamese papers write dates, in both languages.
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]));
    return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
  }

  const QUALITY = ["low_dpi", "not_color", "blurry", "low_contrast", "quality"];

  /* What the clerk should do about an error or finding code. */
  function hint(code) {
    if (!code) return t("hint.default");
    if (QUALITY.some((q) => code.includes(q))) return t("hint.quality");
    const known = `hint.${code}`;
    return t(known, t("hint.default"));
  }

  function statusLabel(status) { return t(`status.${status}`, status); }
  function stageLabel(stage) { return stage ? t(`stage.${stage}`, stage) : ""; }
  function json(id) { const node = document.getElementById(id); return node ? JSON.parse(node.textContent) : null; }

  document.addEventListener("DOMContentLoaded", () => {
    const out = document.getElementById("logout");
    if (out) out.addEventListener("click", async () => {
      try { await api("DELETE", "/v1/session", undefined, { noRedirect: true }); } catch (e) { /* gone already */ }
      location.assign("/desk/login?out=1");
    });
  });

  return { t, lang, api, upload, el, flash, time, hint, statusLabel, stageLabel, uuid, json, ApiError, toLogin };
})();
