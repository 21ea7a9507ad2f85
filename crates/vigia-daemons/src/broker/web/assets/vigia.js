// Vigia web UI: fetch the live part of the page again when the broker's status changes
// (server-sent events from /events), keeping the boxes ticked. No framework, no inline script.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource) return;
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var ticked = {};
    live.querySelectorAll("input[type=checkbox]:checked").forEach(function (c) { ticked[c.value] = true; });
    fetch(location.href, { headers: { "X-Vigia-Live": "1" }, credentials: "same-origin" })
      .then(function (r) {
        if (r.redirected || !r.ok) throw new Error("status " + r.status);
        return r.text();
      })
      .then(function (html) {
        live.innerHTML = html;
        live.querySelectorAll("input[type=checkbox]").forEach(function (c) { if (ticked[c.value]) c.checked = true; });
        document.documentElement.dataset.refreshed = String(Date.now());
      })
      .catch(function () { /* the next event tries again */ })
      .finally(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  var events = new EventSource("/events");
  events.addEventListener("changed", refresh);
  // A broker that went away (a fail-over of brokers): the browser reconnects by itself; refresh
  // once it is back.
  events.addEventListener("open", function () { refresh(); });
})();
