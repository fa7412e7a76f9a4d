/* Live quota counter on the phone ballot ("已选好 N 个"). Optional: the server checks quotas. */
(function () {
  var form = document.getElementById("ballot");
  if (!form || !document.querySelectorAll) { return; }
  var quotas = document.querySelectorAll(".quota");
  function update() {
    for (var i = 0; i < quotas.length; i++) {
      var grade = quotas[i].getAttribute("data-grade");
      var limit = parseInt(quotas[i].getAttribute("data-limit"), 10);
      var count = 0;
      var inputs = form.querySelectorAll("input[type=radio]");
      for (var j = 0; j < inputs.length; j++) {
        if (inputs[j].checked && inputs[j].name.indexOf("o_") === 0 && inputs[j].value === grade) { count++; }
      }
      var counter = quotas[i].querySelector(".counter");
      counter.removeAttribute("hidden");
      counter.querySelector("b").textContent = count;
      quotas[i].className = count > limit ? "quota error" : "quota";
    }
  }
  form.addEventListener("change", update, false);
  update();
})();
