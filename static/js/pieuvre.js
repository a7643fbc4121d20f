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

  // ------------------------------------------------------------ brand kit: colour pickers beside their #RRGGBB fields
  var HEX = /^#[0-9a-fA-F]{6}$/;
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (!target.matches) return;
    if (target.matches("input.swatch[data-colour-for]")) {
      var code = document.getElementById(target.getAttribute("data-colour-for"));
      if (code) code.value = target.value.toUpperCase();
    } else if (target.matches("input.colour-code")) {
      var swatch = document.querySelector("input.swatch[data-colour-for='" + target.id + "']");
      if (swatch && HEX.test(target.value.trim())) swatch.value = target.value.trim().toLowerCase();
    }
  });

  // ------------------------------------------------------------ brand kit: one more row (blank rows work without JS too)
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row]");
    if (!button) return;
    var kind = button.getAttribute("data-add-row");
    var rows = document.querySelector("[data-rows='" + kind + "']");
    var template = document.getElementById(kind + "-template");
    if (!rows || !template) return;
    var index = parseInt(rows.getAttribute("data-next"), 10) || 0;
    rows.setAttribute("data-next", String(index + 1));
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__index__/g, String(index));
    var row = holder.firstElementChild;
    rows.appendChild(row);
    var first = row.querySelector("input:not([type=checkbox])");
    if (first) first.focus();
  });

  // ------------------------------------------------------------ one-click fixes of the linter's findings
  // The span comes from the server (in code points); if the text moved since, the term is looked up again.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-fix-for]");
    if (!button) return;
    var area = document.getElementById(button.getAttribute("data-fix-for"));
    if (!area) return;
    var fix = button.getAttribute("data-fix");
    var value = area.value;
    if (button.getAttribute("data-fix-rule") === "append") {
      if (value.indexOf(fix) === -1) area.value = value.replace(/\s+$/, "") + (value.trim() ? " " : "") + fix;
    } else {
      var term = button.getAttribute("data-fix-term");
      var chars = Array.from(value);
      var start = parseInt(button.getAttribute("data-fix-start"), 10);
      var end = parseInt(button.getAttribute("data-fix-end"), 10);
      if (chars.slice(start, end).join("") === term) {
        area.value = chars.slice(0, start).join("") + fix + chars.slice(end).join("");
      } else {
        var at = value.toLowerCase().indexOf(term.toLowerCase());
        if (at === -1) return;
        area.value = value.slice(0, at) + fix + value.slice(at + term.length);
      }
    }
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  });

  // ------------------------------------------------------------ file pickers say which file was chosen
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file]")) return;
    var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; }).join(", ");
    var pick = input.closest(".filepick");
    if (pick) {
      var label = pick.querySelector(".filepick-label");
      if (!label.hasAttribute("data-empty")) label.setAttribute("data-empty", label.textContent);
      label.textContent = names || label.getAttribute("data-empty");
      pick.classList.toggle("has-file", Boolean(names));
    }
    var list = document.querySelector("[data-files-for='" + input.id + "']");
    if (list) list.textContent = names;
  });

  ["dragenter", "dragover"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var zone = event.target.closest && event.target.closest(".dropzone");
      if (zone) zone.classList.add("is-dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var zone = event.target.closest && event.target.closest(".dropzone");
      if (zone) zone.classList.remove("is-dragging");
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    initCounters(document);
  });
})();
