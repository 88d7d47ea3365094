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

  window.LedgerDom = { el: el, dateZh: dateZh };
})();
