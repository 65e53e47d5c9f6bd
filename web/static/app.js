// lockdep dashboard: progressive enhancement only (every page works without it).
// Tables with class "sortable" get client-side sorting on header clicks. The server marks a
// table so only when it holds the whole list; a list sorted on the server (its headers are sort
// links: groups, hosts, kernels, locks) is paged, so none of its columns is sorted here, since
// sorting one page would look like sorting the list.
"use strict";
(function () {
  function key(td) {
    var t = td ? td.textContent.trim() : "";
    var n = Number(t);
    return t !== "" && !isNaN(n) ? n : t.toLowerCase();
  }
  function sortBy(table, col, th) {
    var body = table.tBodies[0];
    if (!body) return;
    var dir = th.getAttribute("data-dir") === "asc" ? "desc" : "asc";
    th.setAttribute("data-dir", dir);
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]);
      var c = x < y ? -1 : x > y ? 1 : 0;
      return dir === "asc" ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      var head = table.tHead && table.tHead.rows[0];
      if (!head || head.querySelector("a")) return;
      Array.prototype.forEach.call(head.cells, function (th, i) {
        th.classList.add("js-sort");
        th.addEventListener("click", function () { sortBy(table, i, th); });
      });
    });
  });
})();
