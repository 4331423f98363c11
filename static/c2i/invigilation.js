/* The invigilator's live list: every few seconds, fetch the room's rows and
   replace the table body (no full reload). The focused button or link keeps
   its focus (same id in the new rows); nothing is replaced while a dialog is
   open or the tab is hidden. Without JavaScript, the « Rafraîchir » link.
   The rows' tag (ETag) goes back with each fetch: rows that show the same
   thing come back as an empty 304, and the table is left as it is. */
(function () {
  "use strict";
  var body = document.getElementById("invigilation-rows");
  if (!body) { return; }
  var url = body.getAttribute("data-url");
  var every = Math.max(2, parseInt(body.getAttribute("data-every"), 10) || 5) * 1000;
  var status = document.getElementById("invigilation-status");
  var label = body.getAttribute("data-updated") || "";
  var tag = body.getAttribute("data-tag") || "";
  var busy = false;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function stamp() {
    if (status) {
      var d = new Date();
      status.textContent = label + " " + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + ".";
    }
  }

  function refresh() {
    if (busy || document.hidden || document.querySelector("dialog[open]")) { return; }
    busy = true;
    var headers = { "X-Requested-With": "fetch" };
    if (tag) { headers["If-None-Match"] = tag; }
    fetch(url, { credentials: "same-origin", headers: headers, cache: "no-store" })
      .then(function (response) {
        if (response.redirected || response.status === 404) {
          window.location.reload(); // the grant ended (a new password): the page says where to go
          return null;
        }
        if (response.status === 304) { return ""; } // the same rows: only the time below changes
        if (!response.ok) { return null; }
        tag = response.headers.get("ETag") || "";
        return response.text();
      })
      .then(function (html) {
        if (html === null || html === undefined) { return; }
        if (html === "") { stamp(); return; }
        var focused = document.activeElement && body.contains(document.activeElement) ? document.activeElement.id : "";
        body.innerHTML = html;
        if (focused) {
          var again = document.getElementById(focused);
          if (again) { again.focus(); }
        }
        stamp();
      })
      .catch(function () { /* the next round tries again */ })
      .then(function () { busy = false; });
  }

  window.setInterval(refresh, every);
})();
