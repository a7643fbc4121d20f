// Pieuvre's small niceties: keyboard moves in lists, character counters, focus after HTMX swaps.
// Everything here is optional: every page works without it. No inline JS anywhere (the CSP forbids it).
(function () {
  "use strict";

  function typingIn(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  // ------------------------------------------------------------ the inbox: keyboard, selection, bulk approve
  // j/k move, x selects, Enter/o open, a approves, r rejects, Shift+A approves the selection, ? shows the list.
  function typingInText(target) {
    if (!target) return false;
    if (target.tagName === "INPUT") return ["checkbox", "radio", "button", "submit"].indexOf(target.type) === -1;
    return typingIn(target);
  }

  function inboxRows() {
    var list = document.querySelector("[data-keyboard-list]");
    return list ? Array.prototype.slice.call(list.querySelectorAll("[data-keyboard-item]")) : [];
  }

  function currentIndex(rows) {
    var index = rows.findIndex(function (row) { return row.classList.contains("is-current"); });
    if (index !== -1) return index;
    return rows.findIndex(function (row) { return row.contains(document.activeElement); });
  }

  function focusRow(rows, index) {
    rows.forEach(function (row, position) { row.classList.toggle("is-current", position === index); });
    var row = rows[index];
    if (!row) return;
    var link = row.querySelector("a");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function updateSelection() {
    var rows = inboxRows();
    var boxes = rows.map(function (row) { return row.querySelector("[data-select-row]"); }).filter(Boolean);
    var chosen = 0;
    rows.forEach(function (row) {
      var box = row.querySelector("[data-select-row]");
      var on = Boolean(box && box.checked);
      if (on) chosen += 1;
      row.setAttribute("aria-selected", on ? "true" : "false");
      row.classList.toggle("is-picked", on);
    });
    var all = document.querySelector("[data-select-all]");
    if (all) {
      all.checked = boxes.length > 0 && chosen === boxes.length;
      all.indeterminate = chosen > 0 && chosen < boxes.length;
    }
    var count = document.querySelector("[data-selection-count]");
    if (count) count.textContent = chosen ? count.getAttribute("data-some").replace("{n}", chosen) : count.getAttribute("data-none");
    var button = document.querySelector("[data-bulk-approve]");
    if (button) {
      if (!button.hasAttribute("data-empty-label")) button.setAttribute("data-empty-label", button.textContent.trim());
      button.textContent = chosen ? button.getAttribute("data-label").replace("{n}", chosen) : button.getAttribute("data-empty-label");
      button.classList.toggle("is-ready", chosen > 0);
    }
  }

  function csrfToken() {
    var field = document.querySelector(".inbox-form input[name=csrf_token]");
    return field ? field.value : "";
  }

  function inboxToast(message) {
    var flash = document.getElementById("flash");
    if (!flash) return;
    var toast = document.createElement("div");
    toast.className = "toast toast--error";
    toast.setAttribute("role", "status");
    var text = document.createElement("p");
    text.textContent = message;
    toast.appendChild(text);
    flash.replaceChildren(toast);
  }

  function approveRow(row) {
    if (!window.htmx || row.getAttribute("data-status") !== "pending") return;
    var id = row.getAttribute("data-id");
    var headers = { "X-CSRF-Token": csrfToken() };
    // The proposal page's own route decides; its answer (that page's blocks) is not swapped here:
    // only this row is fetched again.
    htmx.ajax("POST", "/proposals/" + id + "/approve", {
      source: row, headers: headers,
      handler: function (_, response) {
        refreshedRow = { id: id, old: row, failed: response.xhr.status >= 400 };
        htmx.ajax("GET", "/inbox/rows/" + id, { source: row, target: "#row-" + id, swap: "outerHTML" });
      },
    });
  }

  var refreshedRow = null;
  document.addEventListener("htmx:afterSettle", function () {
    if (!refreshedRow) return;
    var fresh = document.getElementById("row-" + refreshedRow.id);
    if (fresh === refreshedRow.old) return;  // another settle, before the row came back
    var failed = refreshedRow.failed;
    refreshedRow = null;
    if (!fresh) return;
    var rows = inboxRows();
    focusRow(rows, rows.indexOf(fresh));
    updateSelection();
    if (failed || fresh.getAttribute("data-status") === "pending") {
      var form = document.querySelector(".inbox-form");
      if (form) inboxToast(form.getAttribute("data-approve-failed"));
    }
  });

  function toggleShortcuts(force) {
    var panel = document.getElementById("shortcuts");
    var toggle = document.querySelector("[data-shortcuts-toggle]");
    if (!panel) return;
    var show = typeof force === "boolean" ? force : panel.hidden;
    panel.hidden = !show;
    if (toggle) toggle.setAttribute("aria-expanded", show ? "true" : "false");
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typingInText(event.target)) return;
    var rows = inboxRows();
    if (event.key === "?") {
      if (!document.getElementById("shortcuts")) return;
      event.preventDefault();
      toggleShortcuts();
      return;
    }
    if (event.key === "Escape") toggleShortcuts(false);
    if (!rows.length) return;
    var index = currentIndex(rows);
    var row = rows[index];
    switch (event.key) {
      case "j":
      case "k":
        event.preventDefault();
        if (index === -1) focusRow(rows, 0);
        else focusRow(rows, event.key === "j" ? Math.min(index + 1, rows.length - 1) : Math.max(index - 1, 0));
        return;
      case "x":
        if (!row) return;
        var box = row.querySelector("[data-select-row]");
        if (!box) return;
        event.preventDefault();
        box.checked = !box.checked;
        lastPicked = box;
        updateSelection();
        return;
      case "o":
      case "Enter":
        // Enter on the focused link opens it by itself.
        if (!row || (event.key === "Enter" && document.activeElement && document.activeElement.tagName === "A")) return;
        event.preventDefault();
        window.location.assign(row.querySelector("a").href);
        return;
      case "r":
        if (!row) return;
        event.preventDefault();
        window.location.assign("/proposals/" + row.getAttribute("data-id") + "#reject");
        return;
      case "a":
        if (!row) return;
        event.preventDefault();
        approveRow(row);
        return;
      case "A":
        var form = document.querySelector(".inbox-form");
        if (!form || !document.querySelector("[data-select-row]:checked")) return;
        event.preventDefault();
        form.requestSubmit();
        return;
    }
  });

  var lastPicked = null;
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-shortcuts-toggle], [data-shortcuts-toggle] *")) {
      toggleShortcuts();
      return;
    }
    if (target.matches && target.matches("[data-select-row]")) {
      // Shift-click: the whole range since the last box clicked takes this box's state.
      var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-select-row]"));
      if (event.shiftKey && lastPicked && boxes.indexOf(lastPicked) !== -1) {
        var from = boxes.indexOf(lastPicked), to = boxes.indexOf(target);
        boxes.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (box) { box.checked = target.checked; });
      }
      lastPicked = target;
      updateSelection();
    }
    var row = target.closest && target.closest("[data-keyboard-item]");
    if (row) {
      var rows = inboxRows();
      rows.forEach(function (item) { item.classList.toggle("is-current", item === row); });
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches) return;
    if (target.matches("[data-select-all]")) {
      inboxRows().forEach(function (row) {
        var box = row.querySelector("[data-select-row]");
        if (box) box.checked = target.checked;
      });
      updateSelection();
    } else if (target.matches("[data-select-row]")) {
      updateSelection();
    }
  });

  document.addEventListener("focusin", function (event) {
    var rows = inboxRows();
    var index = rows.findIndex(function (row) { return row.contains(event.target); });
    if (index !== -1) rows.forEach(function (row, position) { row.classList.toggle("is-current", position === index); });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.target && event.target.id === "inbox-rows") updateSelection();
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("[data-keyboard-list]")) updateSelection();
  });

  // The bulk approve's toast arrives out of band: it goes away by itself too.
  var inboxToastTimer = null;
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (!event.target || event.target.id !== "flash") return;
    clearTimeout(inboxToastTimer);
    inboxToastTimer = setTimeout(function () {
      var flash = document.getElementById("flash");
      if (flash) flash.replaceChildren();
    }, 10000);
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

  // ------------------------------------------------------------ translation workspace: glossary term or memory text into the target
  // data-insert-mode "cursor" puts the text at the cursor (a glossary term), "replace" replaces the whole text
  // (a translation memory suggestion); the input event runs the live linter again.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-insert-into]");
    if (!button) return;
    var area = document.getElementById(button.getAttribute("data-insert-into"));
    if (!area || area.disabled || area.readOnly) return;
    var text = button.getAttribute("data-insert-text") || "";
    area.focus();
    if (button.getAttribute("data-insert-mode") === "replace") area.setRangeText(text, 0, area.value.length, "end");
    else area.setRangeText(text, area.selectionStart, area.selectionEnd, "end");
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

// A link to a proposal's #reject (the inbox's "r" key) opens its reject form, ready to type.
document.addEventListener("DOMContentLoaded", function () {
  if (window.location.hash !== "#reject") return;
  var form = document.getElementById("reject");
  if (!form) return;
  form.open = true;
  var field = form.querySelector("select, textarea");
  if (field) field.focus();
});
