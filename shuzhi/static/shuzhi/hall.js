/* The hall screen: a full-screen button, and published results shown a page at a time.

   Each page holds as many rows as fit under the table's header at the current size, and the
   pages turn every few seconds (the body's data-interval), so every row is read in turn
   without anyone touching the projector. The layout is measured again when the window or
   full-screen state changes and after each refresh of the live part. */
(function () {
  "use strict";

  var page = 0;
  var timer = null;

  function interval() {
    var seconds = parseInt(document.body.getAttribute("data-interval"), 10);
    return (seconds >= 3 ? seconds : 10) * 1000;
  }

  function rowsPerPage(table, rows) {
    rows.forEach(function (row) { row.classList.remove("hall-off"); });
    var body = table.tBodies[0].getBoundingClientRect();
    var tallest = 1;
    rows.forEach(function (row) {
      tallest = Math.max(tallest, row.getBoundingClientRect().height);
    });
    var section = table.closest(".hall-results-wrap");
    var after = 0;
    if (section) {
      var note = section.querySelector(".hall-note");
      if (note) { after = note.getBoundingClientRect().height + 16; }
    }
    var room = window.innerHeight - body.top - after - 12;
    return Math.max(1, Math.floor(room / tallest));
  }

  function show() {
    var table = document.getElementById("hall-results");
    if (!table) { return; }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var size = rowsPerPage(table, rows);
    var pages = Math.max(1, Math.ceil(rows.length / size));
    if (page >= pages) { page = 0; }
    rows.forEach(function (row, index) {
      row.classList.toggle("hall-off", Math.floor(index / size) !== page);
    });
    var label = document.getElementById("hall-page");
    if (label) {
      label.textContent = pages > 1 ? "第 " + (page + 1) + " / " + pages + " 页" : "";
      label.setAttribute("data-pages", String(pages));
      label.setAttribute("data-page", String(page + 1));
    }
    table.setAttribute("data-rows-per-page", String(size));
  }

  function turn() {
    if (!document.getElementById("hall-results")) { return; }  // nothing published yet
    page += 1;
    show();
  }

  function start() {
    if (timer === null) { timer = window.setInterval(turn, interval()); }
    show();
  }

  function fullscreen() {
    var root = document.documentElement;
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (root.requestFullscreen) {
      root.requestFullscreen().catch(function () { /* refused: the page still works */ });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("hall-fullscreen");
    if (button) { button.addEventListener("click", fullscreen); }
    start();
  });
  document.addEventListener("fullscreenchange", function () {
    document.body.classList.toggle("hall-is-fullscreen", Boolean(document.fullscreenElement));
    show();
  });
  window.addEventListener("resize", show);
  document.body.addEventListener("htmx:afterSwap", show);
}());
