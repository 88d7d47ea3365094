/* Sortable tables: progressive enhancement for <table data-sortable>.
 *
 * Without JavaScript the table is complete and in its published order. With it,
 * each header with data-sort-type ("number" or "text") becomes a button; a cell's
 * data-sort attribute (else its text) is the sort value, and an empty value
 * (样本不足, no data) always sorts last. aria-sort tells screen readers the order.
 */
(function () {
  "use strict";

  function valueOf(cell, type) {
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    raw = raw.trim();
    if (raw === "") {
      return null;
    }
    if (type === "number") {
      var number = parseFloat(raw);
      return isNaN(number) ? null : number;
    }
    return raw;
  }

  function compare(a, b, type) {
    if (type === "number") {
      return a - b;
    }
    return a.localeCompare(b, "zh-CN");
  }

  function sortBy(table, headers, index, direction) {
    var body = table.tBodies[0];
    var type = headers[index].getAttribute("data-sort-type");
    var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
      return { row: row, position: position, value: valueOf(row.cells[index], type) };
    });
    rows.sort(function (x, y) {
      if (x.value === null || y.value === null) {
        return x.value === y.value ? x.position - y.position : (x.value === null ? 1 : -1);
      }
      var order = compare(x.value, y.value, type) * (direction === "ascending" ? 1 : -1);
      return order || x.position - y.position;
    });
    rows.forEach(function (item) {
      body.appendChild(item.row);
    });
    headers.forEach(function (th, i) {
      if (i === index) {
        th.setAttribute("aria-sort", direction);
      } else {
        th.removeAttribute("aria-sort");
      }
    });
  }

  function enhance(table) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    headers.forEach(function (th, index) {
      if (!th.hasAttribute("data-sort-type")) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      while (th.firstChild) {
        button.appendChild(th.firstChild);
      }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var current = th.getAttribute("aria-sort");
        var numeric = th.getAttribute("data-sort-type") === "number";
        // First click: text A→Z, numbers high→low (the usual question is "who is best").
        var direction = current ? (current === "ascending" ? "descending" : "ascending")
          : (numeric ? "descending" : "ascending");
        sortBy(table, headers, index, direction);
      });
    });
    table.classList.add("is-sortable");
  }

  var tables = document.querySelectorAll("table[data-sortable]");
  Array.prototype.forEach.call(tables, enhance);
  Array.prototype.forEach.call(document.querySelectorAll(".issues-sort-hint"), function (hint) {
    if (tables.length) {
      hint.hidden = false;
    }
  });
})();
