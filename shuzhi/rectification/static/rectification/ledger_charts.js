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

  // Category labels: every one shown, rotated, and cut to a fixed width with "…"; the full
  // name is in the axis tooltip (a unit's name may run to twenty characters).
  var categoryLabel = { interval: 0, rotate: 30, width: 84, overflow: "truncate", ellipsis: "…" };

  function bar(rows) {
    return {
      tooltip: { trigger: "axis", confine: true },
      // containLabel: the grid's edges include the axis labels, so long ones never spill out.
      grid: { left: 8, right: 8, top: 12, bottom: 8, containLabel: true },
      xAxis: { type: "category", axisLabel: categoryLabel,
               data: rows.map(function (r) { return r[0]; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: rows.map(function (r) { return r[1]; }) }]
    };
  }

  function stack(rows) {
    // rows: [name, total, closed, overdue]; open = total - closed.
    return {
      tooltip: { trigger: "axis", confine: true },
      // The legend sits alone on the top line (scrolling rather than wrapping on a phone) and
      // the grid starts below it; the rotated unit names stay inside the grid's bottom edge.
      legend: { type: "scroll", top: 0, left: "center", data: ["已销号", "未销号", "其中逾期"] },
      grid: { left: 8, right: 8, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", axisLabel: categoryLabel,
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
    node.style.height = node.classList.contains("ledger-chart-wide") ? "360px" : "260px";
    var chart = echarts.init(node, null, { renderer: "svg" });
    chart.setOption(build(rows));
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
