// Taxi Asegurado's quoter (/taxi). Loaded on that page only.

// Taxi quoter: prices refresh while the driver types. A refresh that lands just after a click
// on «Ver el desglose» must not close the breakdown that was opened: reopen it in the new list.
(function () {
  "use strict";
  var wasOpen = null;
  function isPrices(ev) {
    return ev.detail && ev.detail.target && ev.detail.target.id === "taxi-prices";
  }
  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (!isPrices(ev)) return;
    wasOpen = Array.prototype.map.call(
      ev.detail.target.querySelectorAll(".taxi-price details[open]"),
      function (details) { return details.closest(".taxi-price").getAttribute("data-carrier"); }
    );
  });
  document.addEventListener("htmx:afterSettle", function (ev) {
    if (!isPrices(ev) || !wasOpen) return;
    wasOpen.forEach(function (carrier) {
      var details = ev.detail.target.querySelector(
        '.taxi-price[data-carrier="' + CSS.escape(carrier) + '"] details'
      );
      if (details) details.open = true; // fires "toggle", which loads a lazy breakdown
    });
    wasOpen = null;
  });
})();
