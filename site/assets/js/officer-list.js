/* 体验官待核查清单: one township's still-disputed and not-yet-inspected issues (officers/?town=…).
 *
 * Reads api/v1/officers/<town>/index.json and the chunks of the not-yet-inspected list it names
 * (oldest resolution first, in the order index.json lists them; each named by its first id's hash),
 * written by pipeline/render/officers.py. URL parameters, so a filtered list can be shared: town
 * (12 digits), officer (an officer code such as TYG-014: keeps the disputed issues that officer
 * checked; not-yet-inspected issues have no officer and stay listed), wait (at least that many
 * calendar days waiting). Printing gives a worksheet: site name, township,
 * as-of date, the filters, and an empty 备注 column.
 * Text is set with textContent only: nothing from the data is ever parsed as HTML.
 * No request leaves the site.
 */
(function () {
  "use strict";

  var root = document.getElementById("officer-list");
  if (!root || !window.fetch || !window.LedgerDom) {
    return; // the page keeps its note and the list of townships
  }
  var D = window.LedgerDom; // site/assets/js/ledger-dom.js
  var el = D.el;
  var api = root.getAttribute("data-api");
  var siteRoot = root.getAttribute("data-root");
  var asOf = root.getAttribute("data-as-of");
  var WAITS = [0, 30, 60, 90, 180, 365];

  var params = new URLSearchParams(window.location.search);
  var town = (params.get("town") || "").trim();
  var officer = (params.get("officer") || "").trim().toUpperCase();
  var waitText = (params.get("wait") || "").trim();
  var wait = /^\d{1,5}$/.test(waitText) ? parseInt(waitText, 10) : 0;
  if (!town) {
    message("在下表选择乡镇（街道），查看它的清单。"); // no township chosen: the list of townships is the page
    return;
  }

  var siteName = (function () {
    var topic = document.querySelector(".md-header__topic .md-ellipsis");
    var name = topic ? topic.textContent.trim() : "";
    return name || "阳光台账";
  })();

  function message(text, className) {
    D.clear(root);
    root.appendChild(el("p", text, "officer-message " + (className || "")));
  }

  function daysText(days) {
    return days === null || days === undefined ? "—" : days + " 天";
  }

  function issueLink(id) {
    return D.link(siteRoot + "issue/?id=" + encodeURIComponent(id), id);
  }

  function noteCell() {
    return el("span", null, "officer-note-space");
  }

  // The table helper's last column is 备注: empty on paper for the officer's notes, hidden on screen.
  function markNotes(wrap) {
    wrap.querySelectorAll("tr").forEach(function (tr) {
      var last = tr.lastElementChild;
      if (last) {
        last.classList.add("officer-note");
      }
    });
    return wrap;
  }

  function checksNode(checks) {
    var ul = el("ul", null, "officer-checks");
    checks.forEach(function (c) {
      var li = el("li", null, "ledger-verdict-" + c.verdict);
      li.appendChild(el("span", D.dateZh(c.date) + " ", "officer-check-date"));
      li.appendChild(el("code", c.officer, "officer-check-officer"));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el(c.verdict === "not_resolved" ? "strong" : "span", c.label, "officer-check-verdict"));
      if (c.note) {
        li.appendChild(el("span", "：" + c.note, "officer-check-note"));
      }
      if (officer && c.officer === officer) {
        li.classList.add("officer-check-mine");
      }
      ul.appendChild(li);
    });
    return ul;
  }

  function filterSentence() {
    var parts = [];
    if (officer) {
      parts.push("体验官 " + officer + " 核查过的存疑问题");
    }
    if (wait) {
      parts.push("等待至少 " + wait + " 个自然日");
    }
    return parts.length ? "筛选：" + parts.join("；") + "。" : "未筛选：列出全部。";
  }

  function printHead(doc) {
    var head = el("div", null, "officer-print-head");
    head.appendChild(el("p", siteName, "officer-print-site"));
    head.appendChild(el("p", "体验官待核查清单：" + (doc.county ? doc.county + " " : "") + doc.name, "officer-print-town"));
    head.appendChild(el("p", "数据截止日：" + D.dateZh(asOf) + "　网址：" + window.location.href, "officer-print-asof"));
    head.appendChild(el("p", filterSentence(), "officer-print-filters"));
    return head;
  }

  function option(select, value, text, selected) {
    var o = el("option", text);
    o.value = value;
    o.selected = selected;
    select.appendChild(o);
  }

  function labelled(form, id, text, control) {
    var field = el("div", null, "officer-field");
    var label = el("label", text);
    label.setAttribute("for", id);
    control.id = id;
    field.appendChild(label);
    field.appendChild(control);
    form.appendChild(field);
  }

  function filterForm(doc) {
    var form = el("form", null, "officer-form");
    form.setAttribute("method", "get");
    form.setAttribute("action", "./");
    form.setAttribute("aria-label", "筛选清单");
    var hidden = el("input");
    hidden.type = "hidden";
    hidden.name = "town";
    hidden.value = doc.code;
    form.appendChild(hidden);
    var who = el("select");
    who.name = "officer";
    option(who, "", "全部体验官", !officer);
    var known = doc.officers.slice();
    if (officer && known.indexOf(officer) < 0) {
      known.push(officer); // a shared link may name an officer who has no check here yet
    }
    known.forEach(function (code) {
      option(who, code, code, code === officer);
    });
    labelled(form, "officer-code", "体验官代码", who);
    var days = el("select");
    days.name = "wait";
    var waits = WAITS.slice();
    if (waits.indexOf(wait) < 0) {
      waits.push(wait);
      waits.sort(function (a, b) { return a - b; });
    }
    waits.forEach(function (n) {
      option(days, n ? String(n) : "", n ? "至少 " + n + " 天" : "不限", n === wait);
    });
    labelled(form, "officer-wait", "等待自然日", days);
    var button = el("button", "筛选");
    button.type = "submit";
    form.appendChild(button);
    [who, days].forEach(function (select) {
      select.addEventListener("change", function () {
        // Empty values are left out of the address: ?town=…&officer=TYG-014, not &wait=.
        [who, days].forEach(function (s) { s.disabled = !s.value; });
        form.submit();
      });
    });
    form.addEventListener("submit", function () {
      [who, days].forEach(function (s) { s.disabled = !s.value; });
    });
    return form;
  }

  function disputedSection(doc) {
    var section = el("section", null, "officer-section officer-disputed");
    section.id = "disputed";
    var rows = doc.disputed.filter(function (d) {
      return (!officer || d.checks.some(function (c) { return c.officer === officer; })) &&
        (!wait || (d.days !== null && d.days >= wait));
    });
    section.appendChild(el("h2", "仍存疑的问题（最近一次核查为未解决）"));
    section.appendChild(el("p", "共 " + rows.length + " 件" +
      (rows.length !== doc.disputed.length ? "（未筛选时 " + doc.disputed.length + " 件）" : "") +
      "，等待最久的在前；等待天数从最近一次“未解决”的核查算起。", "officer-count"));
    if (!rows.length) {
      return section;
    }
    var headers = ["编号", "问题", "地点", "牵头部门", "办结日期", "等待", "核查记录", "备注"];
    section.appendChild(markNotes(D.table(headers, rows.map(function (d) {
      return [issueLink(d.id), d.title, d.place, d.lead, D.dateZh(d.resolved_on), daysText(d.days),
              checksNode(d.checks), noteCell()];
    }), { wrapClass: "issues-list-wrap", tableClass: "ledger-table issues-list officer-table", region: true,
          label: doc.name + "仍存疑的问题", titleColumn: 1 })));
    return section;
  }

  function uninspectedSection(doc) {
    var section = el("section", null, "officer-section officer-uninspected");
    section.id = "uninspected";
    var info = doc.uninspected;
    section.appendChild(el("h2", "已办结、尚未核查的问题"));
    var count = el("p", null, "officer-count");
    section.appendChild(count);
    var headers = ["编号", "问题", "地点", "牵头部门", "办结日期", "等待", "备注"];
    var body = el("div", null, "officer-rows");
    section.appendChild(body);
    var more = el("button", null, "officer-more");
    more.type = "button";
    more.hidden = true;
    section.appendChild(more);
    var shown = [];
    var next = 0;

    function matching(chunk) {
      return !wait || (chunk.most_days !== null && chunk.most_days >= wait);
    }

    function draw() {
      var rows = shown.filter(function (r) { return !wait || (r.days !== null && r.days >= wait); });
      var total = wait ? "等待至少 " + wait + " 天的" : "共 " + info.total + " 件，";
      count.textContent = (wait ? total + "已列出 " + rows.length + " 件" : total + "已列出 " + rows.length + " 件") +
        "；办结最早（等待最久）的在前，等待天数从办结日期算起。" +
        (officer ? "尚未核查的问题还没有体验官，按体验官筛选时仍全部列出。" : "");
      D.clear(body);
      if (rows.length) {
        body.appendChild(markNotes(D.table(headers, rows.map(function (r) {
          return [issueLink(r.id), r.title, r.place, r.lead, D.dateZh(r.resolved_on), daysText(r.days), noteCell()];
        }), { wrapClass: "issues-list-wrap", tableClass: "ledger-table issues-list officer-table", region: true,
              label: doc.name + "尚未核查的问题", titleColumn: 1 })));
      }
      var left = next < info.chunks.length && matching(info.chunks[next]);
      more.hidden = !left;
      if (left) {
        more.textContent = "再列出 " + info.chunks[next].count + " 件";
      }
    }

    function load() {
      if (next >= info.chunks.length || !matching(info.chunks[next])) {
        draw();
        return Promise.resolve();
      }
      var chunk = info.chunks[next];
      more.disabled = true;
      return fetch(api + doc.code + "/" + chunk.file).then(function (r) {
        if (!r.ok) {
          throw new Error(String(r.status));
        }
        return r.json();
      }).then(function (part) {
        shown = shown.concat(part.issues);
        next += 1;
        more.disabled = false;
        draw();
      });
    }

    more.addEventListener("click", function () {
      load().catch(function () { more.textContent = "读取失败，请稍后再试"; });
    });
    section.ready = load();
    return section;
  }

  function show(doc) {
    D.clear(root);
    var h1 = document.querySelector(".md-content h1");
    if (h1) {
      h1.textContent = doc.name + " 体验官待核查清单";
      h1.parentNode.insertBefore(printHead(doc), h1);
    }
    document.title = doc.name + " · 体验官待核查清单 · " + siteName;
    var nav = el("nav", null, "issues-crumbs officer-crumbs");
    nav.setAttribute("aria-label", "所在地");
    if (doc.county) {
      nav.appendChild(el("span", doc.county));
      nav.appendChild(document.createTextNode(" › "));
    }
    nav.appendChild(D.link(siteRoot + doc.region_page, doc.name + " 问题办理"));
    root.appendChild(nav);
    var c = doc.counts;
    root.appendChild(el("p", "已办结 " + c.resolved + " 件，其中已核查 " + c.inspected + " 件、尚未核查 " +
      c.uninspected + " 件；仍存疑 " + c.disputed + " 件。数据截止日：" + D.dateZh(asOf) + "。", "officer-summary"));
    var form = filterForm(doc);
    var print = el("button", "打印工作单", "officer-print");
    print.type = "button";
    print.addEventListener("click", function () { window.print(); });
    form.appendChild(print);
    root.appendChild(form);
    root.appendChild(disputedSection(doc));
    var waiting = uninspectedSection(doc);
    root.appendChild(waiting);
    waiting.ready.then(function () {
      root.setAttribute("data-ready", "1");
    }, function () {
      message("读取尚未核查的问题失败，请稍后再试。", "officer-error");
    });
    var towns = document.querySelector(".officer-towns");
    if (towns) {
      towns.querySelector("h2").textContent = "其他乡镇（街道）";
    }
  }

  if (!/^\d{12}$/.test(town)) {
    message("“" + town + "”不是乡镇（街道）的区划代码（12 位数字）。请在下表中选择。", "officer-error");
    return;
  }
  message("正在读取……");
  fetch(api + town + "/index.json").then(function (r) {
    if (r.status === 404) {
      message("没有区划代码为 " + town + " 的乡镇（街道）。请在下表中选择。", "officer-error");
      return null;
    }
    if (!r.ok) {
      throw new Error(String(r.status));
    }
    return r.json();
  }).then(function (doc) {
    if (doc) {
      show(doc);
    }
  }).catch(function () {
    message("读取清单失败，请稍后再试。", "officer-error");
  });
})();
