/* 搜索问题: lists the issues matching the words and filters in the URL (issues/search/?words=…&place=…; not ?q=, which the theme's site search takes).
 *
 * Reads the chunked index written by pipeline/render/issues_search.py (see its docstring):
 * api/v1/search/index.json (the manifest), one terms/<b>.json per key the query needs
 * (b = FNV-1a 32 over the key's code points, modulo the bucket count) and the rows/<c>.json
 * chunks holding the page shown. Positions run oldest first, so results are listed from the
 * last position back (newest first). Nothing is computed here that the index does not hold:
 * the script intersects posting lists, formats and builds the CSV. Text is set with
 * textContent only; no request leaves the site.
 */
(function () {
  "use strict";

  var root = document.getElementById("issue-search");
  if (!root || !window.fetch || !window.atob || !window.LedgerDom || !String.prototype.normalize) {
    return; // the page keeps its "needs JavaScript" note and its links
  }
  var api = root.getAttribute("data-api");
  var lookup = root.getAttribute("data-lookup");
  var siteRoot = root.getAttribute("data-root") || "../../";
  var PAGE = 20;
  var CSV_LIMIT = 20000;
  var el = window.LedgerDom.el; // site/assets/js/ledger-dom.js
  var dateZh = window.LedgerDom.dateZh;
  var FLAGS = [["overdue", "超期未办结"], ["disputed", "核查结论为“未解决”"], ["uninspected", "已办结、尚未核查"]];

  function getJson(path) {
    return fetch(api + path, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function normalise(text) {
    return text.normalize("NFKC").toLowerCase();
  }

  function keyHash(key) {
    var hash = 0x811c9dc5;
    for (var i = 0; i < key.length; i++) {
      var cp = key.codePointAt(i);
      if (cp > 0xffff) {
        i++;
      }
      hash = Math.imul((hash ^ cp) >>> 0, 0x01000193) >>> 0;
    }
    return hash >>> 0;
  }

  function wordKeys(word) {
    var chars = Array.from(normalise(word));
    if (chars.length < 2) {
      return chars.length ? [chars[0]] : [];
    }
    var keys = [];
    for (var i = 0; i + 1 < chars.length; i++) {
      var pair = chars[i] + chars[i + 1];
      if (keys.indexOf(pair) === -1) {
        keys.push(pair);
      }
    }
    return keys;
  }

  function decode(value, total) {
    var raw = window.atob(value.slice(1));
    var out = [];
    var i;
    if (value.charAt(0) === "b") {
      for (i = 0; i < raw.length; i++) {
        var byte = raw.charCodeAt(i);
        for (var bit = 0; bit < 8; bit++) {
          if (byte & (1 << bit) && i * 8 + bit < total) {
            out.push(i * 8 + bit);
          }
        }
      }
      return out;
    }
    var current = 0;
    var acc = 0;
    var shift = 0;
    for (i = 0; i < raw.length; i++) {
      var b = raw.charCodeAt(i);
      acc += (b & 0x7f) * Math.pow(2, shift);
      shift += 7;
      if (b < 0x80) {
        current = out.length ? current + acc : acc;
        out.push(current);
        acc = 0;
        shift = 0;
      }
    }
    return out;
  }

  function intersect(a, b) {
    var out = [];
    var i = 0;
    var j = 0;
    while (i < a.length && j < b.length) {
      if (a[i] < b[j]) {
        i++;
      } else if (a[i] > b[j]) {
        j++;
      } else {
        out.push(a[i]);
        i++;
        j++;
      }
    }
    return out;
  }

  function union(lists) {
    var seen = {};
    var out = [];
    lists.forEach(function (list) {
      list.forEach(function (p) {
        if (!seen[p]) {
          seen[p] = true;
          out.push(p);
        }
      });
    });
    return out.sort(function (x, y) { return x - y; });
  }

  function truthy(value) {
    return value === "1" || value === "true" || value === "on" || value === "是";
  }

  // What the URL asks for: groups of keys (any key of a group, every group), and the sentence saying so.
  function criteria(params, manifest) {
    var groups = [];
    var said = [];
    var unknown = [];
    var words = (params.get("words") || "").trim().split(/\s+/).filter(Boolean);
    if (words.length) {
      words.forEach(function (word) {
        wordKeys(word).forEach(function (key) { groups.push([key]); });
      });
      said.push("关键词“" + words.join(" ") + "”");
    }
    function pick(name, list, title, prefix, nameOf) {
      var wanted = (params.get(name) || "").trim();
      if (!wanted) {
        return;
      }
      var hits = list.filter(function (item) { return item[0] === wanted; });
      if (!hits.length) {
        hits = list.filter(function (item) { return item[1] === wanted || (item[4] && item[4] === wanted); });
      }
      if (!hits.length) {
        unknown.push(title + "“" + wanted + "”");
        groups.push([]);
        return;
      }
      groups.push(hits.map(function (item) { return prefix + "=" + item[0]; }));
      said.push(title + "：" + hits.map(nameOf).join("或"));
    }
    pick("place", manifest.places, "地点", "place", function (p) { return p[4] || p[1]; });
    pick("lead", manifest.departments, "牵头部门", "lead", function (d) { return d[1]; });
    pick("status", manifest.statuses, "状态", "status", function (s) { return s[1]; });
    pick("category", manifest.categories, "类别", "category", function (c) { return c[1]; });
    var officer = (params.get("officer") || "").trim().toUpperCase();
    if (officer) {
      groups.push(["officer=" + officer]);
      said.push("核查体验官 " + officer);
    }
    FLAGS.forEach(function (flag) {
      if (truthy(params.get(flag[0]) || "")) {
        groups.push(["flag=" + flag[0]]);
        said.push(flag[1]);
      }
    });
    return { groups: groups, said: said, unknown: unknown };
  }

  // The positions a query keeps, newest first (the highest position first).
  function positionsFor(groups, manifest) {
    if (!groups.length) {
      var all = [];
      for (var p = manifest.issues - 1; p >= 0; p--) {
        all.push(p);
      }
      return Promise.resolve(all);
    }
    var buckets = {};
    groups.forEach(function (group) {
      group.forEach(function (key) { buckets[keyHash(key) % manifest.buckets] = true; });
    });
    var numbers = Object.keys(buckets);
    return Promise.all(numbers.map(function (n) { return getJson("terms/" + n + ".json"); })).then(function (files) {
      var loaded = {};
      numbers.forEach(function (n, i) { loaded[n] = files[i]; });
      var lists = groups.map(function (group) {
        return union(group.map(function (key) {
          var value = loaded[keyHash(key) % manifest.buckets][key];
          return value ? decode(value, manifest.issues) : [];
        }));
      }).sort(function (a, b) { return a.length - b.length; });
      return lists.reduce(intersect).reverse();
    });
  }

  function rowsFor(positions, manifest) {
    var size = manifest.rows_per_chunk;
    var chunks = [];
    positions.forEach(function (p) {
      var c = Math.floor(p / size);
      if (chunks.indexOf(c) === -1) {
        chunks.push(c);
      }
    });
    return Promise.all(chunks.map(function (c) { return getJson("rows/" + c + ".json"); })).then(function (files) {
      var byChunk = {};
      chunks.forEach(function (c, i) { byChunk[c] = files[i]; });
      return positions.map(function (p) {
        var row = byChunk[Math.floor(p / size)][p % size];
        var record = {};
        manifest.fields.forEach(function (field, i) { record[field] = row[i]; });
        return record;
      });
    });
  }

  function namer(list) {
    var names = {};
    list.forEach(function (item) { names[item[0]] = item.length > 4 ? item[4] : item[1]; });
    return function (code) { return code === null ? "" : (names[code] || code); };
  }

  function timingText(manifest, record) {
    return (manifest.timing[record.timing] || "").replace("{days}", String(record.days));
  }

  function daysLate(record) {
    if (record.timing === "late" || record.timing === "overdue") {
      return String(record.days);
    }
    return record.timing === "on_time" ? "0" : "";
  }

  function csvCell(value) {
    var text = value === null || value === undefined ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text)) {
      text = "'" + text; // a spreadsheet would run it as a formula
    }
    return '"' + text.replace(/"/g, '""') + '"';
  }

  function csvText(records, manifest) {
    var place = namer(manifest.places);
    var lead = namer(manifest.departments);
    var status = namer(manifest.statuses);
    var category = namer(manifest.categories);
    var verdict = namer(manifest.verdicts);
    var head = ["编号", "标题", "地点", "地点代码", "牵头部门", "状态", "类别", "提出日期", "办结期限", "办结日期",
      "是否按期", "超期天数", "最近核查结论", "核查体验官"];
    var lines = [head.map(csvCell).join(",")];
    records.forEach(function (r) {
      lines.push([r.id, r.title, place(r.place), r.place, lead(r.lead), status(r.status), category(r.category),
        r.raised_on, r.due, r.resolved_on, timingText(manifest, r), daysLate(r), verdict(r.verdict),
        r.officers.join("、")].map(csvCell).join(","));
    });
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }

  function pageLink(params, page) {
    var next = new URLSearchParams(params);
    if (page > 1) {
      next.set("page", String(page));
    } else {
      next.delete("page");
    }
    return "?" + next.toString();
  }

  function clear() {
    window.LedgerDom.clear(root);
  }

  function message(text, className) {
    clear();
    root.appendChild(el("p", text, className || "issue-message"));
  }

  function fillForm(params, manifest) {
    ["words", "lead", "status", "category", "officer"].forEach(function (name) {
      var field = document.querySelector(".search-form [name='" + name + "']");
      if (field && params.get(name)) {
        field.value = params.get(name).trim();
      }
    });
    var place = document.getElementById("search-place");
    var wanted = (params.get("place") || "").trim();
    if (place && wanted) {
      var code = manifest.places.filter(function (p) { return p[0] === wanted || p[1] === wanted; })[0];
      code = code ? code[0] : wanted;
      if (!Array.prototype.some.call(place.options, function (o) { return o.value === code; })) {
        var extra = el("option", namer(manifest.places)(code));
        extra.value = code;
        place.appendChild(extra);
      }
      place.value = code;
    }
    FLAGS.forEach(function (flag) {
      var box = document.querySelector(".search-form [name='" + flag[0] + "']");
      if (box) {
        box.checked = truthy(params.get(flag[0]) || "");
      }
    });
  }

  function show(params, manifest, found, page, records) {
    clear();
    var pages = Math.max(1, Math.ceil(found.positions.length / PAGE));
    var sentence = found.said.length ? "条件：" + found.said.join("；") + "。" : "全部问题。";
    root.appendChild(el("p", "找到 " + found.positions.length.toLocaleString("zh-CN") + " 件问题（数据截止 " +
      dateZh(manifest.as_of) + "）。" + sentence, "search-summary"));
    if (found.unknown.length) {
      root.appendChild(el("p", "没有这样的" + found.unknown.join("、") + "。", "issue-message issue-not-found"));
    }
    if (!records.length) {
      root.appendChild(el("p", "没有符合条件的问题。可以减少关键词或筛选条件再试。", "issue-message"));
      return;
    }
    var place = namer(manifest.places);
    var lead = namer(manifest.departments);
    var status = namer(manifest.statuses);
    var verdict = namer(manifest.verdicts);
    var list = el("ol", null, "search-results");
    list.setAttribute("start", String((page - 1) * PAGE + 1));
    records.forEach(function (r) {
      var li = el("li", null, "search-result");
      var link = el("a", r.title || r.id);
      link.href = lookup + "?id=" + encodeURIComponent(r.id);
      var title = el("p", null, "search-title");
      title.appendChild(link);
      li.appendChild(title);
      var meta = [r.id, dateZh(r.raised_on) + "提出", place(r.place), lead(r.lead), status(r.status),
        timingText(manifest, r)];
      if (r.verdict) {
        meta.push("核查：" + verdict(r.verdict) + (r.officers.length ? "（" + r.officers.join("、") + "）" : ""));
      }
      li.appendChild(el("p", meta.filter(Boolean).join(" · "), "search-meta search-" + r.timing));
      list.appendChild(li);
    });
    root.appendChild(list);

    if (pages > 1) {
      var nav = el("nav", null, "search-pages");
      nav.setAttribute("aria-label", "翻页");
      if (page > 1) {
        var prev = el("a", "上一页");
        prev.href = pageLink(params, page - 1);
        prev.rel = "prev";
        nav.appendChild(prev);
      }
      nav.appendChild(el("span", "第 " + page + " / " + pages + " 页", "search-page-number"));
      if (page < pages) {
        var next = el("a", "下一页");
        next.href = pageLink(params, page + 1);
        next.rel = "next";
        nav.appendChild(next);
      }
      root.appendChild(nav);
    }

    var tools = el("p", null, "search-tools");
    var button = el("button", "下载这 " + found.positions.length.toLocaleString("zh-CN") + " 件问题（CSV）", "search-csv");
    button.type = "button";
    button.addEventListener("click", function () {
      var wanted = found.positions.slice(0, CSV_LIMIT);
      button.disabled = true;
      rowsFor(wanted, manifest).then(function (all) {
        var blob = new Blob([csvText(all, manifest)], { type: "text/csv;charset=utf-8" });
        var a = el("a");
        a.href = URL.createObjectURL(blob);
        a.download = "issues-search-" + manifest.as_of + ".csv";
        document.body.appendChild(a);
        a.click();
        setTimeout(function () {
          URL.revokeObjectURL(a.href);
          a.remove();
        }, 1000);
        button.disabled = false;
      }).catch(function () {
        button.disabled = false;
        tools.appendChild(el("span", "下载失败，请稍后重试。", "search-csv-error"));
      });
    });
    tools.appendChild(button);
    if (found.positions.length > CSV_LIMIT) {
      tools.appendChild(el("span", "（只含前 " + CSV_LIMIT.toLocaleString("zh-CN") + " 件；请加筛选条件缩小范围）"));
    }
    root.appendChild(tools);
  }

  var params = new URLSearchParams(window.location.search);
  message("正在读取问题索引……");
  getJson("index.json").then(function (manifest) {
    fillForm(params, manifest);
    var found = criteria(params, manifest);
    return positionsFor(found.groups, manifest).then(function (positions) {
      found.positions = positions;
      var pages = Math.max(1, Math.ceil(positions.length / PAGE));
      var page = Math.min(Math.max(parseInt(params.get("page"), 10) || 1, 1), pages);
      var shown = positions.slice((page - 1) * PAGE, page * PAGE);
      return rowsFor(shown, manifest).then(function (records) {
        show(params, manifest, found, page, records);
      });
    });
  }).catch(function (error) {
    // The person sees a plain message; the console keeps which step failed (a request or this script).
    console.error("issue search:", error);
    clear();
    root.appendChild(window.LedgerDom.unreadable(siteRoot));
  });
})();
