/* 查询问题: shows one issue from its JSON shard (issue/?id=…).
 *
 * The shard is api/v1/issues/<fnv1a32(id) % shards>.json; the shard count is in
 * the page (data-shards), written by pipeline/render/issues_lookup.py, which uses
 * the same hash. The shard is compact (rows-v2): api/v1/issues/index.json, read
 * beside it, says how to decode its rows. Text is set with textContent only: nothing from the data is
 * ever parsed as HTML. No request leaves the site.
 *
 * The record opens with where the issue stands (including an experience officer's
 * 未解决 verdict and a 差评 not yet rectified), links to its place's and lead
 * department's pages, writes every date as 2025年3月22日 and every count of days
 * as 自然日, lists 办理过程 (issue_events: 回退, 改派, 延期, 催办, 督办, 重办) in the
 * order it ran, with the extended due date beside the first one (按期 is judged
 * against the first), shows 重办 at the top of a reopened issue, and ends with a QR code of its own address, painted on a canvas by
 * vendor/qrcode-generator-2.0.4.js (npm "qrcode-generator" 2.0.4, MIT, copied
 * unchanged; licence in vendor/LICENSE-qrcode-generator.txt; no eval, no request).
 * A print-out starts with the site's name, the page's address and the data's
 * as-of date (ledger.css, @media print).
 */
(function () {
  "use strict";

  // The shards' compact format (rows-v2, pipeline/render/issues_lookup.py): a shard's "issues" is a
  // list of arrays, one per issue, whose slots index.json's "fields" describes: a value as is, a date as
  // days before as_of, an entry of a table of repeated names, the timing as one integer. Decoded here
  // into the record the page shows; decode_records in Python does the same (tests compare both).
  function dayIso(epoch, n) {
    return new Date(epoch - n * 86400000).toISOString().slice(0, 10);
  }
  function decodeRecord(slots, row, epoch) {
    var out = {};
    slots.forEach(function (slot, i) {
      var kind = slot[0], name = slot[1], v = row[i];
      if (kind === "value") {
        out[name] = v;
      } else if (kind === "date") {
        out[name] = v === null ? null : dayIso(epoch, v);
      } else if (kind === "dict") {
        name.forEach(function (field, k) { out[field] = slot[2][v][k]; });
      } else if (kind === "dicts") {
        out[name] = v.map(function (code) { return slot[2][code]; });
      } else if (kind === "timing") {
        var n = slot[2].states.length, state = v % n, days = (v - state) / n + slot[2].low;
        out[name] = { state: slot[2].states[state], days: days, text: slot[2].text[state].split("{days}").join(String(days)) };
      } else if (kind === "list") {
        out[name] = v.map(function (item) { return decodeRecord(slot[2], item, epoch); });
      } else { // object
        out[name] = v === null ? null : decodeRecord(slot[2], v, epoch);
      }
    });
    return out;
  }
  function epochOf(index) {
    var p = index.as_of.split("-");
    return Date.UTC(Number(p[0]), Number(p[1]) - 1, Number(p[2]));
  }
  // The record of the row whose id is "wanted" (or null), decoding that row only.
  function findIssue(index, shard, wanted) {
    for (var r = 0; r < shard.issues.length; r++) {
      if (shard.issues[r][0] === wanted) {
        return decodeRecord(index.fields, shard.issues[r], epochOf(index));
      }
    }
    return null;
  }
  // Every record of a shard by id (for tests and for anyone reading the API in a browser).
  window.IssueRecords = {
    decode: function (index, shard) {
      var out = {}, epoch = epochOf(index);
      shard.issues.forEach(function (row) { out[row[0]] = decodeRecord(index.fields, row, epoch); });
      return out;
    }
  };

  var root = document.getElementById("issue-lookup");
  if (!root || !window.fetch || !window.TextEncoder || !window.LedgerDom) {
    return; // the page keeps its "needs JavaScript" note and its links
  }
  var ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{2,39}$/;
  var shards = parseInt(root.getAttribute("data-shards"), 10) || 1;
  var api = root.getAttribute("data-api");
  var asOf = root.getAttribute("data-as-of");
  var siteRoot = root.getAttribute("data-root") || "../";

  var fnv1a = window.LedgerDom.fnv1a;

  var el = window.LedgerDom.el; // site/assets/js/ledger-dom.js
  var dateZh = window.LedgerDom.dateZh;
  var link = window.LedgerDom.link;
  var calendarDays = window.LedgerDom.calendarDays;

  // The site's name as the theme's header shows it (a fork renames the site in mkdocs.yml).
  var siteName = (function () {
    var topic = document.querySelector(".md-header__topic .md-ellipsis");
    var name = topic ? topic.textContent.trim() : "";
    return name || "阳光台账";
  })();

  function pageUrl(issueId) {
    var base = window.location.href.split(/[?#]/)[0];
    return issueId ? base + "?id=" + encodeURIComponent(issueId) : window.location.href;
  }

  // Shown only on paper (ledger.css, @media print): whose page, which page, data as of when.
  var printHead = el("div", null, "issue-print-head");
  var printUrl = el("span", pageUrl(null), "issue-print-url");
  printHead.appendChild(el("p", siteName, "issue-print-site"));
  var urlLine = el("p", "网址：");
  urlLine.appendChild(printUrl);
  printHead.appendChild(urlLine);
  printHead.appendChild(el("p", "数据截止日：" + dateZh(asOf), "issue-print-asof"));
  var heading = document.querySelector(".md-content h1");
  if (heading && heading.parentNode) {
    heading.parentNode.insertBefore(printHead, heading);
  }


  function clear() {
    window.LedgerDom.clear(root);
  }

  function message(text, className) {
    clear();
    root.appendChild(el("p", text, className || "issue-message"));
  }

  function days(n) {
    return n + " 个自然日";
  }

  function fieldList(pairs) {
    var dl = el("dl", null, "issue-fields");
    pairs.forEach(function (pair) {
      if (pair[1] === null || pair[1] === undefined || pair[1] === "") {
        return;
      }
      dl.appendChild(el("dt", pair[0]));
      if (typeof pair[1] === "object") { // a node: a link built here, never markup from the data
        var dd = el("dd");
        dd.appendChild(pair[1]);
        dl.appendChild(dd);
      } else {
        dl.appendChild(el("dd", pair[1]));
      }
    });
    return dl;
  }

  function table(caption, headers, rows) {
    return LedgerDom.table(headers, rows, { wrapClass: "ledger-scroll", tableClass: "ledger-table issue-table",
                                            label: caption });
  }

  // What the checks after resolution say: the latest inspection and the latest evaluation.
  function alerts(issue) {
    var out = [];
    var check = issue.inspections.length ? issue.inspections[issue.inspections.length - 1] : null;
    if (check && check.verdict_code === "not_resolved") {
      out.push({ kind: "disputed", badge: "体验官核查未解决",
        text: "台账记为“" + issue.status + "”，但改革体验官 " + check.officer + " 于 " + dateZh(check.inspected_on) +
          "现场核查，结论为“" + check.verdict + "”" + (check.note ? "：" + check.note : "。") });
    } else if (check && check.verdict_code === "partly") {
      out.push({ kind: "partly", badge: "体验官核查部分解决",
        text: "改革体验官 " + check.officer + " 于 " + dateZh(check.inspected_on) + "现场核查，结论为“" +
          check.verdict + "”" + (check.note ? "：" + check.note : "。") });
    } else if (check && check.verdict_code === "confirmed") {
      out.push({ kind: "confirmed", badge: "体验官确认解决", text: null });
    }
    var rated = issue.evaluations.filter(function (e) { return e.rating !== null; });
    var last = rated.length ? rated[rated.length - 1] : null;
    if (last && last.rating <= 2) {
      out.push({ kind: last.rectified_on ? "rectified" : "negative",
        badge: last.rectified_on ? "差评已整改" : "差评未整改",
        text: dateZh(last.evaluated_on) + "满意度评价为“" + last.rating_label + "”（差评），" +
          (last.rectified_on ? "已于 " + dateZh(last.rectified_on) + "整改完成。" : "尚无整改完成的记录。") });
    }
    return out;
  }

  // The events of one kind, in the order they happened.
  function eventsOf(issue, code) {
    return (issue.events || []).filter(function (e) { return e.code === code; });
  }

  // The due date in force after approved extensions: the last 延期's new date (each is later than the one before).
  function extendedDue(issue) {
    var extended = eventsOf(issue, "extended").filter(function (e) { return e.new_due_on; });
    return extended.length ? extended[extended.length - 1].new_due_on : null;
  }

  function stateBlock(issue) {
    var box = el("div", null, "issue-state");
    var badges = el("p", null, "issue-badges");
    badges.appendChild(el("span", issue.status, "issue-badge issue-status"));
    var reopened = eventsOf(issue, "reopened");
    if (reopened.length) {
      badges.appendChild(el("span", reopened.length > 1 ? "重办 " + reopened.length + " 次" : "重办",
        "issue-badge issue-reopened"));
    }
    badges.appendChild(el("span", issue.timing.text, "issue-badge issue-timing issue-" + issue.timing.state));
    if (issue.escalated) {
      badges.appendChild(el("span", "督办", "issue-badge issue-escalated"));
    }
    var found = alerts(issue);
    found.forEach(function (a) {
      badges.appendChild(el("span", a.badge, "issue-badge issue-check-" + a.kind));
    });
    box.appendChild(badges);
    found.forEach(function (a) {
      if (a.text) {
        var p = el("p", null, "issue-alert issue-alert-" + a.kind);
        p.appendChild(el("strong", a.badge + "："));
        p.appendChild(document.createTextNode(a.text));
        box.appendChild(p);
      }
    });
    if (found.length && found[0].kind === "disputed") {
      box.classList.add("issue-state-disputed");
    }
    return box;
  }

  // The QR code of this issue's address, painted on a canvas module by module (no markup is parsed).
  function qrFigure(url) {
    if (typeof window.qrcode !== "function") {
      return null;
    }
    window.qrcode.stringToBytes = window.qrcode.stringToBytesFuncs["UTF-8"] || window.qrcode.stringToBytes;
    var qr = window.qrcode(0, "M");
    qr.addData(url, "Byte");
    qr.make();
    var count = qr.getModuleCount();
    var quiet = 4; // the blank margin a scanner needs, in modules
    var cell = 8; // canvas pixels per module: sharp on paper and on a 3× phone screen at 10rem
    var size = (count + 2 * quiet) * cell;
    var canvas = el("canvas", url, "issue-qr-code"); // the text is the fallback content
    canvas.width = size;
    canvas.height = size;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "本页网址的二维码：" + url);
    canvas.setAttribute("data-modules", String(count));
    var context = canvas.getContext("2d");
    if (!context) {
      return null;
    }
    context.fillStyle = "#fff";
    context.fillRect(0, 0, size, size);
    context.fillStyle = "#000";
    for (var r = 0; r < count; r++) {
      for (var c = 0; c < count; c++) {
        if (qr.isDark(r, c)) {
          context.fillRect((c + quiet) * cell, (r + quiet) * cell, cell, cell);
        }
      }
    }
    var figure = el("figure", null, "issue-qr");
    figure.appendChild(canvas);
    var caption = el("figcaption", "在现场用手机扫描二维码，即可打开本页：");
    caption.appendChild(el("span", url, "issue-qr-url"));
    figure.appendChild(caption);
    return figure;
  }

  function show(issue) {
    clear();
    document.title = issue.title + " · 查询问题 · " + siteName;
    var url = pageUrl(issue.id);
    printUrl.textContent = url;
    var article = el("article", null, "issue-record");
    article.appendChild(el("h2", issue.title, "issue-title"));
    article.appendChild(stateBlock(issue));

    var meeting = issue.meeting
      ? dateZh(issue.meeting.held_on) + "，" + issue.meeting.host_level + "下沉，" + issue.meeting.place +
        "（会议编号 " + issue.meeting.id + "）"
      : null;
    var place = issue.place.join(" › ");
    var lead = issue.lead_code
      ? link(siteRoot + "issues/departments/#dept-" + encodeURIComponent(issue.lead_code), issue.lead, "issue-lead-link")
      : issue.lead;
    article.appendChild(fieldList([
      ["编号", issue.id],
      ["提出途径", issue.mechanism],
      ["会议", meeting],
      ["诉求类型", issue.request_type],
      ["地点", issue.region_page ? link(siteRoot + "issues/region/" + encodeURIComponent(issue.region_page) + "/",
        place, "issue-place-link") : place],
      ["类别", issue.category],
      ["难易程度", issue.tier],
      ["牵头部门", lead],
      ["配合部门", issue.co.length ? issue.co.join("、") : null],
      ["办结层级", issue.resolved_at_level],
      ["督办", issue.escalated ? "是（联合督查组督办）" : "否"],
      ["办理情况", issue.summary]
    ]));

    var due = dateZh(issue.due);
    if (issue.due && issue.due_given) {
      due += "（台账填写）";
    } else if (issue.due && issue.due_provisional) {
      due += "（暂定：该年度放假安排尚未公布）";
    }
    var extended = extendedDue(issue);
    if (issue.due && extended) {
      due += "；经批准延期至 " + dateZh(extended);
    }
    var took = calendarDays(issue.raised_on, issue.resolved_on);
    var steps = [
      ["提出", issue.raised_on],
      ["交办", issue.assigned_on],
      ["办结期限", issue.due, due],
      ["办结", issue.resolved_on, issue.resolved_on ? dateZh(issue.resolved_on) +
        (took === null ? "" : "（从提出起用时 " + days(took) + "）") : null],
      ["归档", issue.archived_on]
    ];
    article.appendChild(el("h3", "办理过程"));
    var ol = el("ol", null, "issue-steps");
    steps.forEach(function (step) {
      var li = el("li", null, step[1] ? "issue-step-done" : "issue-step-pending");
      li.appendChild(el("span", step[0], "issue-step-name"));
      li.appendChild(el("span", step[2] || dateZh(step[1]), "issue-step-date"));
      ol.appendChild(li);
    });
    article.appendChild(ol);
    var when = issue.timing.text;
    if (issue.timing.state === "overdue" || issue.timing.state === "open") {
      when += "（截至数据截止日 " + dateZh(asOf) + "）";
    }
    article.appendChild(el("p", "是否按期：" + when, "issue-when"));
    if (extended) {
      article.appendChild(el("p", "是否按期以首次确定的办结期限 " + dateZh(issue.due) + " 计算，经批准的延期不改变这一判断；" +
        "延期后的期限 " + dateZh(extended) + " 仅列在旁边供参考。", "issue-when-note"));
    }
    if (issue.events && issue.events.length) {
      article.appendChild(el("h4", "办理环节（按发生顺序）", "issue-events-title"));
      article.appendChild(table("办理过程记录", ["日期", "环节", "部门", "延期至", "说明"],
        issue.events.map(function (e) {
          return [dateZh(e.on), e.event, e.department, e.new_due_on ? dateZh(e.new_due_on) : null, e.note];
        })));
    }

    article.appendChild(el("h3", "第三方满意度评价"));
    if (issue.evaluations.length) {
      article.appendChild(table("第三方满意度评价", ["评价机构", "日期", "方式", "评价", "整改完成"],
        issue.evaluations.map(function (e) {
          return [e.evaluator, dateZh(e.evaluated_on), e.method,
            e.rating === null ? null : e.rating_label + "（" + e.rating + "分）",
            e.rectified_on ? dateZh(e.rectified_on) : null];
        })));
    } else {
      article.appendChild(el("p", "暂无评价记录。"));
    }
    article.appendChild(el("h3", "改革体验官核查"));
    if (issue.inspections.length) {
      article.appendChild(table("改革体验官核查", ["体验官", "日期", "结论", "说明"],
        issue.inspections.map(function (i) {
          return [i.officer, dateZh(i.inspected_on), i.verdict, i.note];
        })));
    } else {
      article.appendChild(el("p", "暂无核查记录。"));
    }
    var qr = qrFigure(url);
    if (qr) {
      article.appendChild(el("h3", "本页二维码"));
      article.appendChild(qr);
    }
    root.appendChild(article);
  }

  var params = new URLSearchParams(window.location.search);
  var id = (params.get("id") || "").trim();
  var input = document.getElementById("issue-id");
  if (input) {
    input.value = id;
  }
  if (!id) {
    message("请输入问题编号查询。编号见问题清单、各地页面和超期问题清单。");
    return;
  }
  var notFound = "未找到编号为 " + id + " 的问题。请核对编号，或在各地页面和超期问题清单中查找。";
  // Where else to look, in the space kept for a record (issue-reserve.js): the page does not shrink
  // under the reader, and the screen is not left empty.
  var LOOK_ELSEWHERE = [
    ["搜索问题", "issues/search/", "按关键词、地点、牵头部门、状态和是否超期筛选"],
    ["超期问题清单", "issues/overdue/", "已过办结期限仍未办结的问题"],
    ["问题办理总览", "issues/", "各乡镇（街道）、各部门的办理情况，由此进入各地页面"],
    ["下载全部问题数据", "data/#issues", "CSV 文件，可用 Excel 打开，按编号查找"]
  ];
  function notFoundMessage() {
    message(notFound, "issue-message issue-not-found");
    root.appendChild(el("p", "也可以在这些页面查找：", "issue-hints-head"));
    var list = el("ul", null, "issue-hints");
    LOOK_ELSEWHERE.forEach(function (hint) {
      var item = el("li");
      item.appendChild(link(siteRoot + hint[1], hint[0]));
      item.appendChild(document.createTextNode("：" + hint[2]));
      list.appendChild(item);
    });
    root.appendChild(list);
    var example = root.getAttribute("data-example");
    if (example) {
      root.appendChild(el("p", "问题编号形如 " + example + "，见问题清单和各地页面，大小写均可。", "issue-hints-foot"));
    }
  }
  if (!ID_PATTERN.test(id)) {
    notFoundMessage();
    return;
  }
  // Case does not matter to a person typing on a phone: the id as typed first, then in
  // upper and in lower case (each may sit in another shard), then any key of a read
  // shard that differs only in case.
  var tried = [];
  var candidates = [id, id.toUpperCase(), id.toLowerCase()].filter(function (c, i, all) {
    return all.indexOf(c) === i;
  });
  function inShard(index, shard, wanted) {
    var found = findIssue(index, shard, wanted);
    if (found) {
      return found;
    }
    var folded = wanted.toUpperCase();
    var keys = shard.issues.map(function (row) { return row[0]; }).sort();
    for (var k = 0; k < keys.length; k++) {
      if (keys[k].toUpperCase() === folded) {
        return findIssue(index, shard, keys[k]);
      }
    }
    return null;
  }
  function getJson(path) {
    return fetch(path, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }
  var indexRead = null; // index.json, read once, beside the first shard
  function next(index) {
    if (index >= candidates.length) {
      notFoundMessage();
      return null;
    }
    var number = fnv1a(candidates[index]) % shards;
    if (tried.indexOf(number) !== -1) {
      return next(index + 1);
    }
    tried.push(number);
    indexRead = indexRead || getJson(api + "index.json");
    return Promise.all([indexRead, getJson(api + number + ".json")])
      .then(function (both) {
        var issue = inShard(both[0], both[1], candidates[index]);
        if (issue) {
          show(issue);
          return null;
        }
        return next(index + 1);
      });
  }
  message("正在读取编号为 " + id + " 的问题……");
  Promise.resolve()
    .then(function () { return next(0); })
    .catch(function (error) {
      // The person sees a plain message; the console keeps which step failed (a request or this script).
      console.error("issue lookup:", error);
      clear();
      root.appendChild(window.LedgerDom.unreadable(siteRoot));
    });
})();
