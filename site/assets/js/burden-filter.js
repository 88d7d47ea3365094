/* 基层减负: filter the complete cut list by kind and department.
   The list is readable without this script; the script only hides rows.
   DOM APIs only; no outside request. Filters are mirrored in the URL (?kind=…&department=…). */
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("burden-filter");
    var table = document.getElementById("burden-cut-table");
    if (!form || !table || !table.tBodies.length) {
      return;
    }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-key]"));
    var status = document.getElementById("burden-filter-status");

    function hasOption(select, value) {
      return Array.prototype.some.call(select.options, function (option) { return option.value === value; });
    }

    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var match = selects.every(function (select) {
          return !select.value || row.getAttribute("data-" + select.getAttribute("data-key")) === select.value;
        });
        row.hidden = !match;
        if (match) {
          shown += 1;
        }
      });
      if (status) {
        status.textContent = "显示 " + shown + " / " + rows.length + " 项";
      }
      var params = new URLSearchParams();
      selects.forEach(function (select) {
        if (select.value) {
          params.set(select.getAttribute("data-key"), select.value);
        }
      });
      var query = params.toString();
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", (query ? "?" + query : window.location.pathname) + window.location.hash);
      }
    }

    function choose(params) {
      selects.forEach(function (select) {
        var wanted = params.get(select.getAttribute("data-key"));
        select.value = wanted && hasOption(select, wanted) ? wanted : "";
      });
    }

    choose(new URLSearchParams(window.location.search));
    selects.forEach(function (select) {
      select.addEventListener("change", apply);
    });
    form.addEventListener("reset", function () {
      window.setTimeout(apply, 0); // after the browser has reset the selects
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    // The demanders table's links (?department=…) filter in place instead of reloading.
    Array.prototype.forEach.call(document.querySelectorAll("#burden-demanders-table a[href^='?']"), function (link) {
      link.addEventListener("click", function (event) {
        choose(new URLSearchParams(link.getAttribute("href").split("#")[0]));
        event.preventDefault();
        apply();
        form.scrollIntoView();
      });
    });
    form.hidden = false;
    apply();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
