/* 赋权事项目录: filter the catalogue by type, department, list and township, and find items by name.
 *
 * The page ships a small index (labels, filter options, and which chunk holds which department's
 * items); item rows come from small JSON chunks fetched only when a filter can match them. Data
 * reaches the page through textContent and setAttribute only, never as markup. Without this
 * script the page still links every department and township page, which list all items. */
(function () {
  "use strict";

  var PAGE = 20;
  var root = document.getElementById("items-catalogue");
  if (!root || !window.fetch || !window.URLSearchParams || !window.URL || !window.LedgerDom) {
    return;
  }
  var form = document.getElementById("items-filter");
  var status = document.getElementById("items-status");
  var results = root.querySelector(".items-results");
  var tbody = document.querySelector("#items-results tbody");
  var more = document.getElementById("items-more");
  var fields = {
    q: document.getElementById("items-q"),
    type: document.getElementById("items-type"),
    department: document.getElementById("items-department"),
    list: document.getElementById("items-list"),
    township: document.getElementById("items-township")
  };
  var indexUrl = new URL(root.getAttribute("data-index"), document.baseURI);
  var departmentHref = root.getAttribute("data-department-href");
  var townshipHref = root.getAttribute("data-township-href");

  var index = null;
  var labels = { types: {}, departments: {}, townships: {} };
  var chunks = {}; // file → Promise of the chunk's items, so a chunk is fetched at most once
  var run = null; // the current search: later searches make earlier ones stop

  function normalize(text) {
    return String(text || "").normalize("NFKC").toLowerCase().replace(/\s+/g, "");
  }

  var el = window.LedgerDom.el; // site/assets/js/ledger-dom.js
  var dateZh = window.LedgerDom.dateZh;

  function number(value) {
    return value === null || value === undefined ? "—" : Number(value).toLocaleString("en-US");
  }

  function percent(numerator, denominator) {
    // The same rule as the pages: fewer than small_sample cases is 样本不足, never a percentage.
    if (!denominator) {
      return "—";
    }
    if (denominator < index.small_sample) {
      return "样本不足";
    }
    return (numerator / denominator * 100).toFixed(1) + "%";
  }

  function option(select, value, text) {
    var node = el("option", text);
    node.value = value;
    select.appendChild(node);
  }

  function fillOptions() {
    index.power_types.forEach(function (t) {
      labels.types[t.code] = t.label;
      option(fields.type, t.code, t.label + "（" + t.items + "）");
    });
    index.departments.forEach(function (d) {
      labels.departments[d.code] = d.name;
      option(fields.department, d.code, d.name + "（" + d.items + "）");
    });
    index.lists.forEach(function (l) {
      option(fields.list, l.name, l.name + "（" + l.items + "）");
    });
    index.townships.forEach(function (t) {
      labels.townships[t.code] = t.name;
      option(fields.township, t.code, t.county + " " + t.name + "（" + t.items + "）");
    });
  }

  function current() {
    return {
      q: normalize(fields.q.value),
      type: fields.type.value,
      department: fields.department.value,
      list: fields.list.value,
      township: fields.township.value
    };
  }

  function chunkCanMatch(chunk, f) {
    return (!f.department || chunk.department === f.department) &&
      (!f.type || chunk.power_types.indexOf(f.type) >= 0) &&
      (!f.list || chunk.lists.indexOf(f.list) >= 0) &&
      (!f.township || chunk.townships.indexOf(f.township) >= 0);
  }

  function itemMatches(item, f) {
    return (!f.department || item.department === f.department) &&
      (!f.type || item.power_type === f.type) &&
      (!f.list || item.list_name === f.list) &&
      (!f.township || item.townships.indexOf(f.township) >= 0) &&
      (!f.q || normalize(item.name).indexOf(f.q) >= 0 || normalize(item.id).indexOf(f.q) >= 0);
  }

  function loadChunk(file) {
    if (!chunks[file]) {
      chunks[file] = fetch(new URL(file, indexUrl)).then(function (response) {
        if (!response.ok) {
          throw new Error(file + ": HTTP " + response.status);
        }
        return response.json();
      }).then(function (payload) {
        return payload.items;
      });
    }
    return chunks[file];
  }

  function cell(row, label, content) {
    var td = el("td");
    td.setAttribute("data-label", label);
    (Array.isArray(content) ? content : [content]).forEach(function (part) {
      td.appendChild(typeof part === "string" ? document.createTextNode(part) : part);
    });
    row.appendChild(td);
    return td;
  }

  function link(href, text) {
    var a = el("a", text);
    a.setAttribute("href", href);
    return a;
  }

  function limits(item) {
    if (item.statutory_limit === null && item.promised_limit === null) {
      return ["—"];
    }
    var parts = [];
    if (item.statutory_limit !== null) {
      parts.push("法定 " + item.statutory_limit);
    }
    if (item.promised_limit !== null) {
      parts.push("承诺 " + item.promised_limit);
    }
    var out = [parts.join(" · ") + " " + (item.limit_unit_zh || "（未填单位）")];
    if (item.saved !== null) {
      out.push(el("br"), el("span", "缩短 " + item.saved + " 个" + item.limit_unit_zh, "items-meta"));
    }
    return out;
  }

  function flags(item) {
    var out = [];
    if (item.status !== "active") {
      out.push(el("span", index.status[item.status], "items-flag items-flag-off"));
    }
    if (item.zero_use) {
      out.push(el("span", "零办件", "items-flag items-flag-zero"));
    }
    if (item.review_overdue) {
      out.push(el("span", "评估逾期", "items-flag items-flag-review"));
    }
    return out;
  }

  function row(item) {
    var tr = el("tr");
    tr.setAttribute("data-id", item.id);
    var department = departmentHref + encodeURIComponent(item.department) + "/";
    var meta = el("span", null, "items-meta");
    meta.appendChild(document.createTextNode("依据：" + (item.legal_basis || "未填写")));
    meta.appendChild(el("br"));
    meta.appendChild(document.createTextNode("文号：" + (item.decision_ref || "未填写")));
    var name = link(department + "#item-" + encodeURIComponent(item.id), item.name);
    name.className = "items-name";
    cell(tr, "事项", [name, el("br"), el("code", item.id), el("br"), meta]);
    cell(tr, "权力类型", labels.types[item.power_type] || item.power_type);
    cell(tr, "下放部门", link(department, labels.departments[item.department] || item.department));
    cell(tr, "清单批次", item.list_name);
    var dates = [dateZh(item.effective_on)];
    if (item.revoked_on) {
      dates.push(el("br"), "收回 " + dateZh(item.revoked_on));
    }
    cell(tr, "生效 / 收回", dates);
    cell(tr, "时限", limits(item));
    cell(tr, "最近评估", item.last_reviewed_on ? dateZh(item.last_reviewed_on) : "从未评估");
    cell(tr, "办件量", number(item.cases));
    var within = item.within_promise;
    var rate = [percent(within[0], within[1])];
    if (within[1]) {
      rate.push(el("br"), el("span", number(within[0]) + " / " + number(within[1]), "items-meta"));
    }
    cell(tr, "承诺时限内办结率", rate);
    var names = item.townships.map(function (code) { return labels.townships[code] || code; }).join("、");
    cell(tr, "承接乡镇", [item.townships.length + " 个", el("br"), el("span", names, "items-meta")]).className = "items-wide";
    cell(tr, "提示", flags(item));
    return tr;
  }

  function say(text) {
    status.textContent = text;
  }

  function show(search) {
    while (search.shown < Math.min(search.target, search.matches.length)) {
      tbody.appendChild(row(search.matches[search.shown]));
      search.shown += 1;
    }
    var complete = search.cursor >= search.candidates.length;
    var total = complete ? search.matches.length : search.known;
    results.hidden = search.shown === 0;
    more.hidden = complete && search.shown >= search.matches.length;
    if (total === 0) {
      say("没有符合条件的事项。");
    } else if (total !== null) {
      say("共 " + total + " 项符合条件" + (search.shown < total ? "，已显示 " + search.shown + " 项。" : "。"));
    } else {
      say("已显示 " + search.shown + " 项，点“显示更多”继续查找。");
    }
  }

  function fill(search) {
    // Load candidate chunks one by one until the page is full or none is left.
    if (search !== run) {
      return Promise.resolve();
    }
    if (search.matches.length >= search.target || search.cursor >= search.candidates.length) {
      show(search);
      return Promise.resolve();
    }
    var chunk = search.candidates[search.cursor];
    return loadChunk(chunk.file).then(function (items) {
      if (search !== run) {
        return undefined;
      }
      search.cursor += 1;
      items.forEach(function (item) {
        if (itemMatches(item, search.filter)) {
          search.matches.push(item);
        }
      });
      return fill(search);
    });
  }

  function failed() {
    say("事项数据加载失败。请使用下方按部门、按乡镇（街道）的完整事项表。");
    results.hidden = true;
    more.hidden = true;
  }

  function remember(filter) {
    var params = new URLSearchParams();
    ["type", "department", "list", "township"].forEach(function (key) {
      if (filter[key]) {
        params.set(key, filter[key]);
      }
    });
    if (fields.q.value.trim()) {
      params.set("q", fields.q.value.trim());
    }
    var query = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : "") + window.location.hash);
  }

  function knownTotal(f) {
    // With no filter or one facet, the index already counts the matches; otherwise only a full scan can.
    var set = ["type", "department", "list", "township"].filter(function (key) { return f[key]; });
    if (f.q || set.length > 1) {
      return null;
    }
    if (!set.length) {
      return index.items;
    }
    var facet = { type: [index.power_types, "code"], department: [index.departments, "code"],
      list: [index.lists, "name"], township: [index.townships, "code"] }[set[0]];
    var hit = facet[0].filter(function (entry) { return entry[facet[1]] === f[set[0]]; })[0];
    return hit ? hit.items : 0;
  }

  function update() {
    var filter = current();
    remember(filter);
    while (tbody.firstChild) {
      tbody.removeChild(tbody.firstChild);
    }
    run = {
      filter: filter,
      candidates: index.chunks.filter(function (chunk) { return chunkCanMatch(chunk, filter); }),
      cursor: 0, matches: [], shown: 0, target: PAGE, known: knownTotal(filter)
    };
    say("正在查找……");
    fill(run).catch(failed);
  }

  function restore() {
    var params = new URLSearchParams(window.location.search);
    Object.keys(fields).forEach(function (key) {
      var value = params.get(key);
      if (value === null) {
        return;
      }
      if (key === "q") {
        fields.q.value = value;
      } else if (Array.prototype.some.call(fields[key].options, function (o) { return o.value === value; })) {
        fields[key].value = value;
      }
    });
  }

  var typing = null;
  fields.q.addEventListener("input", function () {
    window.clearTimeout(typing);
    typing = window.setTimeout(update, 250);
  });
  ["type", "department", "list", "township"].forEach(function (key) {
    fields[key].addEventListener("change", update);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update();
  });
  form.addEventListener("reset", function () {
    window.setTimeout(update, 0); // after the browser has cleared the fields
  });
  more.addEventListener("click", function () {
    run.target += PAGE;
    fill(run).catch(failed);
  });

  fetch(indexUrl).then(function (response) {
    if (!response.ok) {
      throw new Error("index: HTTP " + response.status);
    }
    return response.json();
  }).then(function (payload) {
    index = payload;
    fillOptions();
    restore();
    form.hidden = false;
    root.querySelector(".items-nojs").hidden = true;
    update();
  }).catch(failed);
})();
