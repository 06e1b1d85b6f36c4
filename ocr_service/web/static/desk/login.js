/* Login: POST /v1/session sets the cookie; then back to the page that sent us here. */
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");

  function next() {
    const asked = new URLSearchParams(location.search).get("next") || "";
    // Only a desk page of this site: never an absolute or protocol-relative URL.
    return /^\/desk\/[^/\\]?/.test(asked) && !asked.startsWith("//") ? asked : "/desk/";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await Desk.api("POST", "/v1/session", {
        username: form.username.value.trim(), password: form.password.value }, { noRedirect: true });
      location.assign(next());
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      form.password.select();
    } finally {
      button.disabled = false;
    }
  });
});
