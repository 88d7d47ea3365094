/* Small DOM helpers shared by the pages' scripts (loaded before them, deferred in order).
 * Data reaches the page through textContent only: nothing from the data is parsed as HTML. */
(function () {
  "use strict";

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    if (className) {
      node.className = className;
    }
    return node;
  }

  function dateZh(iso) {
    if (!iso) {
      return "—";
    }
    var parts = iso.split("-");
    return Number(parts[0]) + "年" + Number(parts[1]) + "月" + Number(parts[2]) + "日";
  }

  // An <a> whose href the page builds from its own paths and a code (never markup from the data).
  function link(href, text, className) {
    var a = el("a", text, className);
    a.setAttribute("href", href);
    return a;
  }

  // Calendar days from one YYYY-MM-DD date to another (UTC: no clock change can make it N±1).
  function calendarDays(fromIso, toIso) {
    if (!fromIso || !toIso) {
      return null;
    }
    function utc(iso) {
      var p = iso.split("-");
      return Date.UTC(Number(p[0]), Number(p[1]) - 1, Number(p[2]));
    }
    return Math.round((utc(toIso) - utc(fromIso)) / 86400000);
  }

  // A table of text cells (a DOM node where a cell is one, "—" where it is empty), each cell carrying
  // its column's name in data-label for the stacked phone layout; wrapped in a <div class=wrapClass>.
  // options: wrapClass, tableClass, label (aria-label of the table, or of the wrapper when it is a
  // region), region (the wrapper is a labelled region), titleColumn (that column's cells get issues-title).
  function table(headers, rows, options) {
    var wrap = el("div", null, options.wrapClass);
    var t = el("table", null, options.tableClass);
    if (options.region) {
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", options.label);
    } else {
      t.setAttribute("aria-label", options.label);  // a hidden <caption> left a gap on phones
    }
    var head = el("thead");
    var tr = el("tr");
    headers.forEach(function (h) {
      var th = el("th", h);
      th.setAttribute("scope", "col");
      tr.appendChild(th);
    });
    head.appendChild(tr);
    t.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (cells) {
      var row = el("tr");
      cells.forEach(function (cell, i) {
        var td = el("td", null, i === options.titleColumn ? "issues-title" : null);
        td.setAttribute("data-label", headers[i]);
        if (cell !== null && typeof cell === "object") {
          td.appendChild(cell);
        } else {
          td.textContent = cell === null || cell === undefined || cell === "" ? "—" : String(cell);
        }
        row.appendChild(td);
      });
      body.appendChild(row);
    });
    t.appendChild(body);
    wrap.appendChild(t);
    return wrap;
  }

  // FNV-1a 32-bit over the UTF-8 bytes: which JSON shard holds a key (pipeline/render/issues_lookup.py fnv1a).
  function fnv1a(text) {
    var bytes = new TextEncoder().encode(text);
    var hash = 0x811c9dc5;
    for (var i = 0; i < bytes.length; i++) {
      hash ^= bytes[i];
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash >>> 0;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  // What the issue search and lookup say when their data cannot be read: the plain message, with the
  // link to every issue as a download (siteRoot: the page's way back to the site's root).
  function unreadable(siteRoot) {
    var text = el("p", "暂时无法读取问题数据，请稍后重试，或", "issue-message issue-error");
    text.appendChild(link(siteRoot + "data/#issues", "下载全部问题数据"));
    text.appendChild(document.createTextNode("查看。"));
    return text;
  }

  window.LedgerDom = { el: el, dateZh: dateZh, link: link, calendarDays: calendarDays, table: table,
                       fnv1a: fnv1a, clear: clear, unreadable: unreadable };
})();
