/* 村（社区）: one village's figures, open issues and meetings from its JSON document (place/?code=…).
 *
 * The document is in the shard api/v1/places/<fnv1a32(code) % shards>.json (the shard count is the
 * page's data-shards), written by pipeline/render/places.py with the same hash and with every
 * figure already formatted as the township page shows it: this script only places text.
 * Text is set with textContent only: nothing from the data is ever parsed as HTML.
 * No request leaves the site.
 */
(function () {
  "use strict";

  var root = document.getElementById("place-view");
  if (!root || !window.fetch || !window.TextEncoder || !window.LedgerDom) {
    return; // the page keeps its "needs JavaScript" note and its link home
  }
  var CODE_PATTERN = /^\d{12}$/;
  var shards = parseInt(root.getAttribute("data-shards"), 10) || 1;
  var api = root.getAttribute("data-api");
  var siteRoot = root.getAttribute("data-root");
  var el = window.LedgerDom.el; // site/assets/js/ledger-dom.js
  var dateZh = window.LedgerDom.dateZh;

  var fnv1a = window.LedgerDom.fnv1a;

  function clear() {
    window.LedgerDom.clear(root);
  }

  function link(text, href, className) {
    var a = el("a", text, className);
    a.setAttribute("href", href);
    return a;
  }

  function message(parts, className) {
    clear();
    var p = el("p", null, "place-message " + (className || ""));
    parts.forEach(function (part) {
      p.appendChild(typeof part === "string" ? document.createTextNode(part) : part);
    });
    root.appendChild(p);
  }

  function heading(text) {
    var h1 = document.querySelector("article h1");
    if (h1) {
      h1.textContent = text;
    }
  }

  function crumbs(place) {
    var nav = el("nav", null, "issues-crumbs place-crumbs");
    nav.setAttribute("aria-label", "上级区划");
    place.places.forEach(function (p) {
      nav.appendChild(p.href ? link(p.name, siteRoot + p.href) : el("span", p.name));
      nav.appendChild(document.createTextNode(" › "));
    });
    var here = el("span", place.name);
    here.setAttribute("aria-current", "page");
    nav.appendChild(here);
    return nav;
  }

  function cards(figures) {
    var wrap = el("div", null, "ledger-cards place-cards");
    figures.forEach(function (f) {
      var card = el("section", null, "ledger-card");
      card.id = "place-" + f.name;
      card.appendChild(el("h3", f.title));
      card.appendChild(el("p", f.text, "ledger-value"));
      if (f.detail) {
        card.appendChild(el("p", f.detail, "ledger-fraction"));
      }
      wrap.appendChild(card);
    });
    return wrap;
  }

  function list(label, headers, rows, titleColumn) {
    return LedgerDom.table(headers, rows, { wrapClass: "issues-list-wrap", tableClass: "ledger-table issues-list",
                                            label: label, region: true, titleColumn: titleColumn });
  }

  function openIssues(place) {
    var part = el("section", null, "place-open");
    part.appendChild(el("h2", "未办结的问题"));
    var open = place.open;
    if (!open.total) {
      part.appendChild(el("p", "截至数据截止日，没有未办结的问题。"));
      return part;
    }
    var text = "共 " + open.total + " 件未办结，其中超期 " + open.overdue + " 件。";
    if (open.total > open.listed.length) {
      text += "下表列出超期最久和期限最近的 " + open.listed.length + " 件。";
    }
    part.appendChild(el("p", text + "点击编号查看问题的全部记录。"));
    part.appendChild(list(place.name + "未办结的问题", ["编号", "问题", "牵头部门", "办结期限", "状态"],
      open.listed.map(function (i) {
        var title = i.escalated ? el("span", i.title) : i.title;
        if (i.escalated) {
          title.appendChild(el("span", "督办", "issues-badge"));
        }
        return [link(i.id, siteRoot + "issue/?id=" + encodeURIComponent(i.id)), title, i.lead, i.due, i.timing];
      }), 1));
    return part;
  }

  function meetings(place) {
    var part = el("section", null, "place-meetings");
    part.appendChild(el("h2", "下沉会议与夜访"));
    var m = place.meetings;
    if (!m.total) {
      part.appendChild(el("p", "没有在该" + place.level + "举行的下沉会议与夜访记录。"));
      return part;
    }
    var text = "共 " + m.total + " 次。";
    if (m.total > m.listed.length) {
      text += "下表列出最近的 " + m.listed.length + " 次。";
    }
    part.appendChild(el("p", text));
    part.appendChild(list(place.name + "的下沉会议与夜访", ["日期", "机制", "下沉层级", "到场部门", "接待人次"],
      m.listed.map(function (r) {
        return [r.held_on, r.mechanism, r.host, r.departments.length ? r.departments.join("、") : null,
          r.persons === null ? null : String(r.persons)];
      }), 1));
    return part;
  }

  function show(place) {
    clear();
    document.title = place.name + " · 村（社区） · 阳光台账";
    heading(place.name);
    root.appendChild(crumbs(place));
    var town = place.places.length ? place.places[place.places.length - 1] : null;
    var note = el("p", null, "place-note");
    note.appendChild(el("strong", "数据截止日：" + dateZh(place.as_of)));
    note.appendChild(document.createTextNode("　" + place.level + "，区划代码 " + place.code + "。"));
    if (town && town.href) {
      note.appendChild(document.createTextNode("与其他村（社区）的比较见"));
      note.appendChild(link(town.name, siteRoot + town.href));
      note.appendChild(document.createTextNode("的页面。"));
    }
    root.appendChild(note);
    root.appendChild(el("h2", "主要数字"));
    root.appendChild(cards(place.figures));
    root.appendChild(openIssues(place));
    root.appendChild(meetings(place));
  }

  var home = function () { return link("首页", siteRoot); };
  var code = (new URLSearchParams(window.location.search).get("code") || "").trim();
  if (!code) {
    message(["请在", home(), "选择所在的县（区）、乡镇（街道）和村（社区）。"]);
    return;
  }
  var notFound = ["未找到区划代码为 " + code + " 的村（社区）。请核对代码，或在", home(),
    "选择所在的乡镇（街道）和村（社区）。"];
  if (!CODE_PATTERN.test(code)) {
    message(notFound, "place-not-found");
    return;
  }
  message(["正在读取区划代码为 " + code + " 的村（社区）……"]);
  fetch(api + (fnv1a(code) % shards) + ".json", { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    })
    .then(function (shard) {
      var place = Object.prototype.hasOwnProperty.call(shard.places, code) ? shard.places[code] : null;
      if (place) {
        place.as_of = shard.as_of;
        show(place);
      } else {
        message(notFound, "place-not-found");
      }
    })
    .catch(function () {
      message(["暂时无法读取该村（社区）的数据，请稍后重试，或在", home(), "选择所在的乡镇（街道）查看。"],
        "place-error");
    });
})();
