// Pieuvre's small niceties: keyboard moves in lists, character counters, focus after HTMX swaps.
// Everything here is optional: every page works without it. No inline JS anywhere (the CSP forbids it).
(function () {
  "use strict";

  function typingIn(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  // ------------------------------------------------------------ j / k in lists (the inbox)
  function listItems() {
    var list = document.querySelector("[data-keyboard-list]");
    return list ? Array.prototype.slice.call(list.querySelectorAll("[data-keyboard-item]")) : [];
  }

  function select(items, index) {
    items.forEach(function (item, position) {
      item.classList.toggle("is-selected", position === index);
    });
    var link = items[index] && items[index].querySelector("a");
    if (link) {
      link.focus();
      link.scrollIntoView({ block: "nearest" });
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typingIn(event.target)) return;
    if (event.key !== "j" && event.key !== "k") return;
    var items = listItems();
    if (!items.length) return;
    var current = items.findIndex(function (item) {
      return item.contains(document.activeElement) || item.classList.contains("is-selected");
    });
    var next = event.key === "j" ? Math.min(current + 1, items.length - 1) : Math.max(current - 1, 0);
    if (current === -1) next = 0;
    event.preventDefault();
    // Enter then opens the focused row's link, as any link does.
    select(items, next);
  });

  document.addEventListener("focusin", function (event) {
    var items = listItems();
    var index = items.findIndex(function (item) { return item.contains(event.target); });
    if (index !== -1) {
      items.forEach(function (item, position) { item.classList.toggle("is-selected", position === index); });
    }
  });

  // ------------------------------------------------------------ character counters
  function updateCounter(area) {
    var max = parseInt(area.getAttribute("data-max"), 10);
    var counter = area.parentNode.querySelector(".counter[data-for='" + area.id + "']");
    if (!counter) {
      counter = document.createElement("p");
      counter.className = "counter";
      counter.setAttribute("data-for", area.id);
      counter.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", counter);
    }
    var length = Array.from(area.value).length;
    counter.textContent = max ? length + " / " + max : String(length);
    counter.classList.toggle("counter--over", Boolean(max) && length > max);
  }

  function initCounters(root) {
    root.querySelectorAll("textarea[data-max]").forEach(updateCounter);
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-max]")) updateCounter(event.target);
  });

  // ------------------------------------------------------------ after HTMX swaps
  document.addEventListener("htmx:afterSettle", function (event) {
    initCounters(document);
    // A decision replaced the buttons the user was on: put the focus on its result, not on <body>.
    var settled = event.target;
    if (settled && settled.id === "decision") {
      var heading = document.getElementById("decision-title");
      if (heading) heading.focus({ preventScroll: true });
    }
  });

  // ------------------------------------------------------------ messages in the corner go away by themselves
  var flashTimer = null;
  document.addEventListener("htmx:afterSwap", function (event) {
    var flash = document.getElementById("flash");
    if (!flash || event.target !== flash) return;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { flash.replaceChildren(); }, 10000);
  });
  document.addEventListener("keydown", function (event) {
    var flash = document.getElementById("flash");
    if (event.key === "Escape" && flash) flash.replaceChildren();
  });

  document.addEventListener("DOMContentLoaded", function () {
    initCounters(document);
  });
})();
