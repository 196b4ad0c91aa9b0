// live.js: while a task is open (or a submission is being evaluated), fetch
// the page again every data-refresh seconds and swap in its [data-live]
// part. The page works without it; it only saves a reload.
(function () {
  "use strict";
  var every = parseInt(document.body.getAttribute("data-refresh"), 10);
  if (!(every > 0) || !window.fetch || !window.DOMParser) return;
  function tick() {
    if (document.hidden) return setTimeout(tick, every * 1000);
    fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-live]"), cur = document.querySelector("[data-live]");
        if (fresh && cur && fresh.innerHTML !== cur.innerHTML) {
          cur.innerHTML = fresh.innerHTML;
          cur.classList.remove("updated");
          void cur.offsetWidth;
          cur.classList.add("updated");
        }
        if (!doc.body.hasAttribute("data-refresh")) return; // finished or closed
        setTimeout(tick, every * 1000);
      })
      .catch(function () { setTimeout(tick, every * 4000); });
  }
  setTimeout(tick, every * 1000);
})();
