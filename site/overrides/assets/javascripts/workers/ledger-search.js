/* Site search worker: Material's search (lunr), loaded only when someone searches, with the query cut into
 * words as jieba cut the index.
 *
 * Every page's config names this file (render/site_hooks.py, search_worker) with Material's own worker as
 * ?material=search.<hash>.min.js, which it loads beside itself. Then:
 * - Setup: Material's page script sends the index it fetched, which now holds only the configuration
 *   (search/search_index.json); this worker answers "ready" at once and fetches the whole index,
 *   search/pages.json, on the first query, so a page that is only read loads no index.
 * - The query: each run of Chinese characters is cut as jieba cuts (a route through the words of the
 *   index, each weighted by log(frequency / total) from jieba's dictionary and the data's names, the
 *   most probable route winning), so 青山镇道路 becomes 青山镇 道路 and finds pages holding the two
 *   words apart. Material's own greedy cut is switched off: it sees no term in the index.
 * - Results: a link to the issue list (issues/search/) for the same words is added: after the pages,
 *   or first when the query names a place and something more (青山镇道路: 青山镇's issues with 道路).
 * No request leaves the site.
 */
(function () {
  "use strict";

  var SETUP = 0, READY = 1, QUERY = 2, RESULT = 3; // Material's SearchMessageType
  var here = new URL(self.location.href);
  var material = here.searchParams.get("material") || "";
  if (!/^search\.[0-9a-f]+\.min\.js$/.test(material)) {
    throw new Error("ledger-search.js: the page config names no Material search worker");
  }
  var pagesUrl = new URL("../../../search/pages.json", here).href;

  // Material's worker adds one message listener: keep it, to hand it the messages ourselves.
  var materialListener = null;
  var addListener = self.addEventListener;
  self.addEventListener = function (type, listener, options) {
    if (type === "message" && !materialListener) {
      materialListener = listener;
      return undefined;
    }
    return addListener.call(self, type, listener, options);
  };
  importScripts(material);
  self.addEventListener = addListener;

  // Material cuts Chinese greedily over the index's terms (`term in index.invertedIndex`): hide every
  // term from that test, so our cut passes unchanged. lunr reads postings by property access only.
  var build = self.lunr.Builder.prototype.build;
  self.lunr.Builder.prototype.build = function () {
    var index = build.apply(this, arguments);
    index.invertedIndex = new Proxy(index.invertedIndex, { has: function () { return false; } });
    return index;
  };

  // --- the cut --------------------------------------------------------------------------------------
  var words = null, logTotal = 0, longest = 1, places = {}, names = {};

  function cutRun(run) {
    // jieba's route (jieba/__init__.py, Tokenizer.calc): from the end, the best of every word starting here.
    var n = run.length, best = new Array(n + 1);
    best[n] = [0, n];
    for (var i = n - 1; i >= 0; i--) {
      best[i] = null;
      for (var j = i + 1; j <= Math.min(n, i + longest); j++) {
        var word = run.slice(i, j), freq = words[word];
        if (freq === undefined && j > i + 1) {
          continue;
        }
        var score = Math.log(freq || 1) - logTotal + best[j][0];
        if (best[i] === null || score > best[i][0]) {
          best[i] = [score, j];
        }
      }
    }
    var out = [];
    for (var k = 0; k < n; k = best[k][1]) {
      out.push(run.slice(k, best[k][1]));
    }
    return out;
  }

  function cut(query) {
    var out = [];
    String(query).split(/[\s\u3000]+/).forEach(function (part) {
      part.split(/([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)/).forEach(function (piece, odd) {
        if (!piece) {
          return;
        }
        if (odd % 2) {
          out.push.apply(out, cutRun(piece));
        } else {
          out.push(piece);
        }
      });
    });
    return out;
  }

  // --- the link to the issue list -------------------------------------------------------------------
  var pending = null; // the query whose result comes next, and its words

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function issueLink(query, found) {
    var place = null, rest = [];
    found.forEach(function (w) {
      if (!place && Object.prototype.hasOwnProperty.call(places, w)) {
        place = w;
      } else if (/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff0-9a-z]/i.test(w)) {
        rest.push(w);
      }
    });
    if (!rest.length) {
      return null;
    }
    var params = new URLSearchParams();
    if (place) {
      params.set("place", places[place]);
    }
    params.set("words", rest.join(" "));
    // Material shows a result's title as HTML: a typed word or a place name is text, never markup.
    var what = "“" + escapeHtml(rest.join(" ")) + "”";
    return {
      // A place and more words ask for issues; a department's or an item's whole name asks for its page.
      first: Boolean(place) && !Object.prototype.hasOwnProperty.call(names, query.replace(/[\s\u3000]+/g, "")),
      item: {
        location: "issues/search/?" + params.toString(),
        title: place ? "在" + escapeHtml(place) + "的问题中查找" + what : "在全部问题中查找" + what,
        text: "问题的标题和摘要中含有这些词的问题，可再按地点、部门、状态筛选。",
        score: 0,
        terms: {}
      }
    };
  }

  var post = self.postMessage.bind(self);
  var swallowReady = false;
  self.postMessage = function (message) {
    if (message && message.type === READY && swallowReady) {
      swallowReady = false; // the page had its "ready" at setup
      return;
    }
    if (message && message.type === RESULT && pending) {
      var link = issueLink(pending.query, pending.found);
      pending = null;
      if (link && message.data && message.data.items) {
        if (link.first) {
          message.data.items.unshift([link.item]);
        } else {
          message.data.items.push([link.item]);
        }
      }
    }
    post(message);
  };

  // --- messages, one at a time ----------------------------------------------------------------------
  var setup = null, loading = null, queue = Promise.resolve();

  function load() {
    if (!loading) {
      loading = fetch(pagesUrl).then(function (response) {
        if (!response.ok) {
          throw new Error("搜索索引 search/pages.json 读取失败：HTTP " + response.status);
        }
        return response.json();
      }).then(function (pages) {
        words = pages.words;
        logTotal = Math.log(pages.total);
        Object.keys(words).forEach(function (w) { longest = Math.max(longest, w.length); });
        places = pages.places || {};
        (pages.names || []).forEach(function (name) { names[name] = true; });
        swallowReady = true;
        return materialListener({ data: { type: SETUP, data: {
          config: pages.config, docs: pages.docs, options: (setup && setup.options) || {} } } });
      });
    }
    return loading;
  }

  function handle(message) {
    if (message.type === SETUP) {
      setup = message.data;
      post({ type: READY });
      return undefined;
    }
    if (message.type === QUERY) {
      if (!String(message.data).trim()) {
        post({ type: RESULT, data: { items: [] } }); // Material's query on opening a page: nothing to load yet
        return undefined;
      }
      return load().then(function () {
        var found = cut(message.data);
        pending = { query: String(message.data), found: found };
        return materialListener({ data: { type: QUERY, data: found.join(" ") } });
      });
    }
    return materialListener({ data: message });
  }

  addListener.call(self, "message", function (event) {
    var message = event.data;
    queue = queue.then(function () { return handle(message); }).catch(function (error) {
      console.warn(error);
      post({ type: RESULT, data: { items: [] } });
    });
  });
}());
