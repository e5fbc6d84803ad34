// report.html / compare.html: sortable tables and "open all / close all" buttons.
// No library, no network; runs once when the page is parsed (the script is the last element).
(function () {
  "use strict";

  // The value a row sorts by in one column: the cell's data-sort attribute when it has one
  // (numbers are written there unformatted), else its text. "" means "no value" (n/a, failed):
  // such rows always go last, whichever the direction.
  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) return null;
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (raw === "") return null;
    if (numeric) {
      var number = parseFloat(raw);
      return isNaN(number) ? null : number;
    }
    return raw.toLowerCase();
  }

  function sortBy(table, th) {
    var numeric = th.getAttribute("data-type") === "number";
    var current = th.getAttribute("aria-sort");
    // first click: numbers high to low (scores: best first), text A to Z; then it toggles
    var direction = current === "descending" ? "ascending" : current === "ascending" ? "descending" : numeric ? "descending" : "ascending";
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", direction);
    var index = th.cellIndex;
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row, i) {
      return { row: row, i: i, v: cellValue(row, index, numeric) };
    });
    rows.sort(function (a, b) {
      if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
      var order = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
      if (direction === "descending") order = -order;
      return order || a.i - b.i; // ties keep their current order
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    if (!table.tHead || !table.tBodies.length) return;
    var headRow = table.tHead.rows[table.tHead.rows.length - 1];
    Array.prototype.forEach.call(headRow.cells, function (th) {
      // the header's content moves into a button, so the sort is reachable by keyboard too
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.title = "Sort by this column";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      th.addEventListener("click", function () { sortBy(table, th); });
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("button[data-toggle-details]"), function (button) {
    button.addEventListener("click", function () {
      var scope = document.getElementById(button.getAttribute("data-toggle-details"));
      if (!scope) return;
      var details = scope.querySelectorAll("details");
      var open = !Array.prototype.every.call(details, function (d) { return d.open; });
      Array.prototype.forEach.call(details, function (d) { d.open = open; });
      button.textContent = open ? "Close all" : "Open all";
    });
  });
})();
