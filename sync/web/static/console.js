// rostersync console: live progress on the overview, and confirmations. No library.
(function () {
  "use strict";
  function poll() {
    var box = document.getElementById("sync-cards");
    if (!box || !box.querySelector("[data-running='1']")) { return; }
    fetch("/fragments/syncs", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        box.innerHTML = html;
        if (box.querySelector("[data-running='1']")) {
          window.setTimeout(poll, 1000);
        } else {
          document.dispatchEvent(new CustomEvent("rostersync:finished"));
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  // A box with data-poll="URL" (a plugin's page, e.g. an import's result) is refreshed
  // from URL while it holds something running, and the page reloaded when it is done.
  function pollBox(box) {
    if (!box.querySelector("[data-running='1']")) { return; }
    fetch(box.getAttribute("data-poll"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        box.innerHTML = html;
        if (box.querySelector("[data-running='1']")) {
          window.setTimeout(function () { pollBox(box); }, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(function () { pollBox(box); }, 3000); });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    window.setTimeout(poll, 800);
    document.querySelectorAll("[data-poll]").forEach(function (box) {
      window.setTimeout(function () { pollBox(box); }, 800);
    });
  });
})();
