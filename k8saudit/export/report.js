// k8saudit report: sort the findings table by a header click, filter it by text and selects.
(function () {
  "use strict";
  var table = document.getElementById("findings");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var q = document.getElementById("q");
  var sev = document.getElementById("f-sev");
  var practice = document.getElementById("f-practice");
  var exempt = document.getElementById("f-exempt");
  var cluster = document.getElementById("f-cluster");  // only in reports of several clusters
  var count = document.getElementById("count");
  var none = document.getElementById("none");
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });

  function apply() {
    var words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (r, i) {
      var ok = words.every(function (w) { return texts[i].indexOf(w) !== -1; });
      if (ok && sev.value) { ok = r.dataset.sev === sev.value; }
      if (ok && practice.value) { ok = r.dataset.practice === practice.value; }
      if (ok && cluster && cluster.value) { ok = r.dataset.cluster === cluster.value; }
      if (ok && exempt.value === "hide") { ok = r.dataset.exempt === "0"; }
      if (ok && exempt.value === "only") { ok = r.dataset.exempt === "1"; }
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " findings shown";
    none.hidden = shown !== 0;
  }

  function key(row, col) {
    var cell = row.cells[col];
    var v = cell.getAttribute("data-v");
    if (v === null) {
      var s = cell.querySelector("summary");
      v = (s || cell).textContent.trim().toLowerCase();
    }
    return v;
  }

  function compare(a, b) {
    var na = Number(a), nb = Number(b);
    if (a !== "" && b !== "" && !isNaN(na) && !isNaN(nb)) { return na - nb; }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.querySelector("button").addEventListener("click", function () {
      // the first click sorts a column its natural way (severity: worst first), the next ones flip it
      var now = th.getAttribute("aria-sort");
      var dir = now === "none" ? (th.getAttribute("data-first") || "ascending")
        : now === "ascending" ? "descending" : "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", dir);
      var sign = dir === "ascending" ? 1 : -1;
      var keyed = rows.map(function (r, i) { return [key(r, col), i, r]; });
      keyed.sort(function (x, y) { return sign * compare(x[0], y[0]) || x[1] - y[1]; });
      var frag = document.createDocumentFragment();
      keyed.forEach(function (k) { frag.appendChild(k[2]); });
      body.appendChild(frag);
    });
  });

  // a row's details get the check's "why" and remediation (kept once per check) when first opened
  var info = {};
  Array.prototype.forEach.call(document.querySelectorAll("#check-info template"), function (t) {
    info[t.getAttribute("data-check")] = t;
  });
  body.addEventListener("toggle", function (e) {
    var d = e.target;
    if (!d.open) { return; }
    var slot = d.querySelector("dt.check-info");
    var t = slot && info[slot.getAttribute("data-check")];
    if (t) { slot.replaceWith(t.content.cloneNode(true)); }
  }, true);

  [q, sev, practice, exempt, cluster].filter(Boolean).forEach(function (el) {
    el.addEventListener(el === q ? "input" : "change", apply);
  });
  apply();
})();
