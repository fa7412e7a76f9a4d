/* A table that scrolls sideways (a .table-responsive wider than the screen) gets keyboard
   focus and a name, so it can be scrolled with the arrow keys (WCAG 2.1.1). Run on load and
   after htmx swaps in new content. */
(function () {
  "use strict";
  function mark(root) {
    root.querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
        if (!box.hasAttribute("role")) box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) {
          var caption = box.querySelector("caption");
          box.setAttribute("aria-label", caption ? caption.textContent.trim() : "表格（可左右滚动）");
        }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { mark(document); });
  document.addEventListener("htmx:afterSettle", function (event) { mark(event.target); });
  window.addEventListener("resize", function () { mark(document); });
})();
