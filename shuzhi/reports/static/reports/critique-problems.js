/* The dynamic list of problems on the critique form: add a row from the <template> (Django
   formset empty_form with __prefix__), remove a row (a saved row is marked DELETE and hidden
   so the server removes that problem; a new row is dropped). After each change the form fires
   "problems-changed" so htmx refreshes the flag panel. */
(function () {
  "use strict";
  function form() { return document.getElementById("critique-form"); }
  function total() { return document.getElementById("id_problems-TOTAL_FORMS"); }
  function changed() {
    var f = form();
    if (f) { f.dispatchEvent(new Event("problems-changed", { bubbles: true })); }
  }
  function addRow() {
    var template = document.getElementById("problem-row-template");
    var counter = total();
    var index = parseInt(counter.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    document.getElementById("problem-rows").appendChild(row);
    counter.value = String(index + 1);
    var first = row.querySelector("textarea");
    if (first) { first.focus(); }
    changed();
  }
  function removeRow(row) {
    var del = row.querySelector("[data-delete]");
    var id = row.querySelector("input[type=hidden][name$='-id']");
    if (id && id.value) {
      del.checked = true;
      row.classList.add("d-none");
    } else {
      // An unsaved row: clear it and hide it; an empty row is ignored by the server.
      var text = row.querySelector("textarea");
      if (text) { text.value = ""; }
      del.checked = true;
      row.classList.add("d-none");
    }
    changed();
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    if (target.id === "add-problem") { event.preventDefault(); addRow(); return; }
    var remove = target.closest("[data-remove-problem]");
    if (remove) { event.preventDefault(); removeRow(remove.closest("[data-problem-row]")); }
  });
})();
