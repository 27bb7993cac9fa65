// Back-office helpers, loaded by its layout only (the public pages stay light).

// <select data-follows="compania">: a product list that only offers the chosen carrier's
// products (each <option data-carrier="id">). Without JavaScript every product is listed and
// the server refuses a product of another carrier with a message next to the field.
(function () {
  "use strict";
  function carrierOf(option) { return option.getAttribute("data-carrier"); }

  function filter(products) {
    var carrier = document.getElementById(products.getAttribute("data-follows"));
    if (!carrier) return;
    var chosen = carrier.value;
    Array.prototype.forEach.call(products.querySelectorAll("option[data-carrier]"), function (option) {
      var other = chosen !== "" && carrierOf(option) !== chosen;
      option.hidden = other;
      option.disabled = other;
    });
    Array.prototype.forEach.call(products.querySelectorAll("optgroup"), function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    var selected = products.options[products.selectedIndex];
    if (selected && selected.hidden) {
      products.value = "";
      products.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function filterAll(root) {
    Array.prototype.forEach.call(root.querySelectorAll("select[data-follows]"), filter);
  }

  document.addEventListener("change", function (ev) {
    var target = ev.target;
    if (!(target instanceof HTMLSelectElement)) return;
    if (target.hasAttribute("data-follows")) {
      // A product picked first chooses its carrier.
      var carrier = document.getElementById(target.getAttribute("data-follows"));
      var option = target.options[target.selectedIndex];
      if (carrier && carrier.value === "" && option && carrierOf(option)) {
        carrier.value = carrierOf(option);
        filter(target);
      }
      return;
    }
    if (!target.id) return;
    var followers = document.querySelectorAll('select[data-follows="' + CSS.escape(target.id) + '"]');
    Array.prototype.forEach.call(followers, filter);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { filterAll(document); });
  } else {
    filterAll(document);
  }
  document.addEventListener("htmx:load", function (ev) {
    if (ev.detail && ev.detail.elt && ev.detail.elt.querySelectorAll) filterAll(ev.detail.elt);
  });
})();

// <details data-fold-on-phone open>: a filter panel that is open on a desktop but folded on a
// phone when no filter is set, so the list it filters is on the first screen. Without
// JavaScript it simply stays open.
(function () {
  "use strict";
  function fold() {
    if (!window.matchMedia("(max-width: 40rem)").matches) return;
    document.querySelectorAll("details[data-fold-on-phone][open]").forEach(function (d) {
      d.open = false;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fold);
  } else {
    fold();
  }
})();
