/* 查询问题: reserves the record's space before anything below it is laid out.
 *
 * Loaded without defer right after <div id="issue-lookup">, so it runs before the
 * page's foot and footer exist: when the address asks for an issue (?id=…), the
 * container keeps a screen's height (ledger.css, .issue-lookup-wait) and the record,
 * arriving later, moves nothing below it (no layout shift). Without an id the page
 * keeps its natural height. issue-lookup.js fills the container.
 */
(function () {
  "use strict";
  var root = document.getElementById("issue-lookup");
  if (root && window.URLSearchParams && (new URLSearchParams(window.location.search).get("id") || "").trim()) {
    root.classList.add("issue-lookup-wait");
  }
})();
