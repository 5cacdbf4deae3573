// Drivers page: show only the rows matching the class and bump-up filters.
(function () {
  var cls = document.getElementById("filter-class"), bump = document.getElementById("filter-bump");
  var count = document.getElementById("filter-count"), rows = document.querySelectorAll("tr[data-classes]");
  function apply() {
    var shown = 0;
    rows.forEach(function (tr) {
      var ok = (!cls.value || tr.dataset.classes.split("|").indexOf(cls.value) >= 0) &&
               (!bump.value || tr.dataset.bumped === bump.value);
      tr.hidden = !ok; if (ok) shown++;
    });
    count.textContent = shown + " of " + rows.length + " drivers";
  }
  cls.addEventListener("change", apply); bump.addEventListener("change", apply); apply();
})();
