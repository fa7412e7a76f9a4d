// Draw the ledger summary's charts from the numbers the page passes with json_script.
// No inline script: the Content-Security-Policy forbids it.
(function () {
  "use strict";
  var source = document.getElementById("ledger-chart-data");
  if (!source || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);

  function pie(rows) {
    return {
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: rows.map(function (r) {
        return { name: r[0], value: r[1] };
      }) }]
    };
  }

  function bar(rows) {
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 10, top: 10, bottom: 30 },
      xAxis: { type: "category", data: rows.map(function (r) { return r[0]; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: rows.map(function (r) { return r[1]; }) }]
    };
  }

  function stack(rows) {
    // rows: [name, total, closed, overdue]; open = total - closed.
    return {
      tooltip: { trigger: "axis" },
      legend: { data: ["已销号", "未销号", "其中逾期"] },
      grid: { left: 40, right: 10, top: 30, bottom: 60 },
      xAxis: { type: "category", axisLabel: { rotate: 30 },
               data: rows.map(function (r) { return r[0]; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "已销号", type: "bar", stack: "all", data: rows.map(function (r) { return r[2]; }) },
        { name: "未销号", type: "bar", stack: "all",
          data: rows.map(function (r) { return r[1] - r[2]; }) },
        { name: "其中逾期", type: "bar", data: rows.map(function (r) { return r[3]; }) }
      ]
    };
  }

  var builders = { pie: pie, bar: bar, stack: stack };
  document.querySelectorAll(".ledger-chart").forEach(function (node) {
    var rows = data[node.dataset.chart] || [];
    var build = builders[node.dataset.kind];
    if (!rows.length || !build) {
      node.remove();
      return;
    }
    // Heights are set here so the page needs no stylesheet of its own.
    node.style.height = node.classList.contains("ledger-chart-wide") ? "320px" : "260px";
    var chart = echarts.init(node, null, { renderer: "svg" });
    chart.setOption(build(rows));
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
