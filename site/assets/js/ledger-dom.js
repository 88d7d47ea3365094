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

  window.LedgerDom = { el: el, dateZh: dateZh, link: link, calendarDays: calendarDays };
})();
