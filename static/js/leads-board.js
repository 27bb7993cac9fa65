// Leads board: drag a card to another stage's column to move the lead. The drop fills in and
// sends the card's own «Cambiar de etapa» form, which stays the path without JavaScript and
// from the keyboard. A move that needs a reason (losing the lead, reopening a closed one)
// opens that form in the card with the reason field focused instead of sending it.
(function () {
  "use strict";
  if (typeof Sortable === "undefined") return;

  function say(text) {
    var status = document.getElementById("board-status");
    if (status) status.textContent = text;
  }

  function stageLabel(column) {
    var title = column.querySelector("h2");
    return title ? title.firstChild.textContent.trim() : column.getAttribute("data-stage");
  }

  // Back where it was picked up (the sibling noted when it was chosen, before Sortable put
  // its own ghost elements around it).
  function putBack(evt) {
    var next = evt.item.__soriano_next;
    evt.from.insertBefore(evt.item, next && next.parentNode === evt.from ? next : null);
  }

  function dropped(evt) {
    if (evt.from === evt.to) return;
    var card = evt.item;
    var to = evt.to.getAttribute("data-stage");
    var form = card.querySelector("form.lead-move");
    var select = form && form.querySelector("select[name=etapa]");
    var option = select && select.querySelector('option[value="' + CSS.escape(to) + '"]');
    var name = (card.querySelector("h3 a") || card).textContent.trim();
    if (!option) {
      putBack(evt);
      say("«" + name + "» no puede pasar a «" + stageLabel(evt.to) + "» desde su etapa.");
      return;
    }
    select.value = to;
    var from = card.getAttribute("data-stage");
    var needsReason = to === "lost" || from === "lost" || from === "won";
    if (needsReason) {
      putBack(evt);
      var menu = card.querySelector("details.lead-move-menu");
      if (menu) menu.open = true;
      var reason = form.querySelector("input[name=motivo]");
      if (reason) {
        reason.closest(".lead-reason").classList.add("lead-reason-always");
        reason.focus();
      }
      say("Escriba el motivo en la tarjeta de «" + name + "» y pulse «Mover».");
      return;
    }
    say("Moviendo «" + name + "» a «" + stageLabel(evt.to) + "»…");
    form.requestSubmit();
  }

  function init(root) {
    var columns = root.querySelectorAll(".lead-column[data-stage]");
    Array.prototype.forEach.call(columns, function (column) {
      if (column.__soriano_sortable) return;
      column.__soriano_sortable = Sortable.create(column, {
        group: "leads",
        sort: false,
        draggable: ".lead-card",
        filter: "a, summary, select, input, button, label, form",
        preventOnFilter: false,
        animation: 150,
        // Pointer events rather than the browser's own drag and drop: the same on touch screens.
        forceFallback: true,
        ghostClass: "lead-card-ghost",
        onChoose: function (evt) { evt.item.__soriano_next = evt.item.nextElementSibling; },
        onEnd: dropped,
      });
    });
  }

  init(document);
  document.addEventListener("htmx:load", function (ev) {
    var added = ev.detail && ev.detail.elt;
    if (added && added.querySelectorAll) init(added.id === "board" ? added.parentNode : added);
  });
})();
