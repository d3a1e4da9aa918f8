// convstore console: the little script the pages use. No inline script
// runs (the Content-Security-Policy forbids it); this file only
//  - polls an erasure job's progress and updates the page in place,
//  - enables a typed-confirmation button once the text matches,
//  - prints the receipt page.
"use strict";
(function () {
  function setField(root, name, value) {
    root.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
      el.textContent = String(value);
    });
  }
  function poll(el) {
    var url = el.getAttribute("data-poll");
    var timer = null;
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error("status " + r.status); } return r.json(); })
        .then(function (s) {
          el.setAttribute("data-state", s.state);
          setField(el, "state", s.state);
          setField(el, "percent", s.percent);
          setField(el, "held", s.held);
          ["conversations", "messages", "artifacts", "attachments", "bytes"].forEach(function (k) {
            setField(el, "total." + k, s.total[k]);
            setField(el, "done." + k, s.done[k]);
          });
          var bar = el.querySelector("progress");
          if (bar) { bar.value = s.percent; bar.textContent = s.percent + "%"; }
          if (s.final) {
            el.querySelectorAll("[data-when-final]").forEach(function (x) { x.hidden = false; });
            el.querySelectorAll("[data-when-running]").forEach(function (x) { x.hidden = true; });
            clearInterval(timer);
          }
        })
        .catch(function () { /* try again at the next tick */ });
    }
    if (el.getAttribute("data-state") === "queued" || el.getAttribute("data-state") === "running") {
      timer = setInterval(tick, 1000);
      tick();
    }
  }
  function confirmMatch(input) {
    var want = input.getAttribute("data-confirm-match");
    var button = input.form && input.form.querySelector('button[type="submit"]');
    if (!button) { return; }
    function update() { button.disabled = input.value !== want; }
    input.addEventListener("input", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
    document.querySelectorAll("[data-confirm-match]").forEach(confirmMatch);
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  });
})();
