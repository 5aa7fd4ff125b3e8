// The postcard number's check digit (Damm), checked as it is typed; the form works without this.
(function () {
  "use strict";
  var DAMM = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9], [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5], [2, 5, 8, 1, 4, 3, 6, 7, 9, 0]
  ];
  function digits(text) {
    // full-width digits to ASCII; spaces and dashes out
    return text.replace(/[\uff10-\uff19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    }).replace(/[\s\-\u2010-\u2014\u2212\u30fc]/g, "");
  }
  function valid(code) {
    var state = 0;
    for (var i = 0; i < code.length; i++) state = DAMM[state][code.charCodeAt(i) - 48];
    return state === 0;
  }
  function check(input, out) {
    var code = digits(input.value);
    out.className = "live";
    if (!code) { out.textContent = ""; return; }
    if (!/^\d*$/.test(code) || code.length > 12) {
      out.textContent = out.getAttribute("data-short"); out.className = "live bad"; return;
    }
    if (code.length < 12) { out.textContent = ""; return; }
    var ok = valid(code);
    out.textContent = out.getAttribute(ok ? "data-ok" : "data-bad");
    out.className = ok ? "live ok" : "live bad";
  }
  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("[data-check-digit]");
    Array.prototype.forEach.call(inputs, function (input) {
      var out = document.getElementById(input.getAttribute("data-check-digit"));
      if (!out) return;
      input.addEventListener("input", function () { check(input, out); });
    });
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
