// Soriano front-end helpers.
// Loaded with <script src="/static/js/app.js" defer>. No inline scripts, no eval:
// works under a CSP without 'unsafe-inline' / 'unsafe-eval'.
(function () {
  "use strict";

  var SELECTOR = "button[data-confirm], input[type=submit][data-confirm]";
  var confirmed = null; // button whose click was just confirmed

  function ask(el) {
    return window.confirm(el.getAttribute("data-confirm"));
  }

  function cancel(ev) {
    ev.preventDefault();
    ev.stopImmediatePropagation(); // also keeps htmx handlers from firing
  }

  // <button data-confirm="texto">: ask before acting. Capture phase on document
  // runs before the form's submit and before htmx's listeners on the element.
  // Pressing Enter in a field fires a click on the default button, so it is covered.
  document.addEventListener("click", function (ev) {
    var btn = ev.target instanceof Element ? ev.target.closest(SELECTOR) : null;
    if (!btn || btn.disabled) return;
    if (!ask(btn)) return cancel(ev);
    confirmed = btn; // the submit event below follows synchronously
    setTimeout(function () { confirmed = null; }, 0);
  }, true);

  // Submissions not started by a click (e.g. form.requestSubmit(button)).
  document.addEventListener("submit", function (ev) {
    var btn = ev.submitter;
    if (!btn || !btn.hasAttribute("data-confirm") || btn === confirmed) return;
    if (!ask(btn)) cancel(ev);
  }, true);
})();

// <button data-print>: open the browser's print dialog (printable quotes).
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var btn = ev.target instanceof Element ? ev.target.closest("[data-print]") : null;
    if (!btn) return;
    ev.preventDefault();
    window.print();
  });
})();

// Error summary (partials/fields.html error_summary): after a failed submit the page opens
// with the summary in view and focused, so the visitor sees at once that something must be
// fixed; the same after htmx swaps a form with errors in. Its links focus the field.
(function () {
  "use strict";

  function focusSummary(root) {
    var summary = root.querySelector ? root.querySelector("[data-error-summary]") : null;
    if (!summary && root.matches && root.matches("[data-error-summary]")) summary = root;
    if (!summary) return;
    summary.scrollIntoView({ block: "start", behavior: "instant" });
    summary.focus({ preventScroll: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { focusSummary(document); });
  } else {
    focusSummary(document);
  }
  // The browser's own scroll to the action's #fragment comes after that and takes the focus
  // back to the page; once it is done, focus the summary again unless the visitor has moved on.
  window.addEventListener("load", function () {
    setTimeout(function () {
      var active = document.activeElement;
      if (!active || active === document.body || active === document.documentElement) {
        focusSummary(document);
      }
    }, 0);
  });

  // htmx:load fires for every element htmx has just put in the page (not for what stayed).
  document.addEventListener("htmx:load", function (ev) {
    var added = ev.detail && ev.detail.elt;
    if (added && added !== document.body) focusSummary(added);
  });

  document.addEventListener("click", function (ev) {
    var link = ev.target instanceof Element ? ev.target.closest("[data-error-summary] a[href^='#']") : null;
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    ev.preventDefault();
    var label = document.querySelector("label[for='" + field.id + "']");
    (label || field).scrollIntoView({ block: "center", behavior: "instant" });
    field.focus({ preventScroll: true });
  });
})();

// Back-office menu: its drop-downs are plain <details> and work without this; here a click
// elsewhere or Escape closes the open one, as people expect of a menu.
(function () {
  "use strict";
  var OPEN = ".admin-nav details[open], details.admin-menu-phone[open]";
  document.addEventListener("click", function (ev) {
    var target = ev.target instanceof Element ? ev.target : null;
    document.querySelectorAll(OPEN).forEach(function (details) {
      if (!target || !details.contains(target)) details.open = false;
    });
  });
  // Escape closes the innermost open one around the focus and puts the focus on its button.
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") return;
    var focused = document.activeElement instanceof Element ? document.activeElement : null;
    var around = focused ? focused.closest(OPEN) : null;
    if (!around) return;
    around.open = false;
    var summary = around.querySelector("summary");
    if (summary) summary.focus();
  });
})();
