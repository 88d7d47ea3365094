/* Filters a complete table by the selects of a form (报道核对's claims, 基层减负's cut list).
   The table is readable without this script; the script only hides rows. Each
   <form data-filter-table="TABLE_ID" data-filter-status="OUTPUT_ID" data-filter-unit="项"> filters the
   rows whose data-KEY equals its select[data-key=KEY]; data-filter-links names in-page links (?KEY=…)
   that filter in place. DOM APIs only; no outside request. Filters are mirrored in the URL. */
(function () {
  "use strict";

  function attach(form) {
    var table = document.getElementById(form.getAttribute("data-filter-table"));
    if (!table || !table.tBodies.length) {
      return;
    }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-key]"));
    var status = document.getElementById(form.getAttribute("data-filter-status"));
    var unit = form.getAttribute("data-filter-unit") || "项";

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
        status.textContent = "显示 " + shown + " / " + rows.length + " " + unit;
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
    var links = form.getAttribute("data-filter-links");
    if (links) {
      Array.prototype.forEach.call(document.querySelectorAll(links), function (link) {
        link.addEventListener("click", function (event) {
          choose(new URLSearchParams(link.getAttribute("href").split("#")[0]));
          event.preventDefault();
          apply();
          form.scrollIntoView();
        });
      });
    }
    form.hidden = false;
    apply();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-filter-table]"), attach);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
