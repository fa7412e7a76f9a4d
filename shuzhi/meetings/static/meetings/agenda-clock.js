/* Ticks the "time used" clock of the speaker on the chair's agenda page.
   The server renders the start time (data-started-at, ISO 8601); this only counts up between
   the 5-second htmx refreshes, so it re-reads the element on every tick. */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var nodes = document.querySelectorAll("[data-started-at]");
    for (var i = 0; i < nodes.length; i++) {
      var started = Date.parse(nodes[i].getAttribute("data-started-at"));
      if (isNaN(started)) { continue; }
      var seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
      nodes[i].textContent = pad(Math.floor(seconds / 60)) + ":" + pad(seconds % 60);
    }
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
})();
