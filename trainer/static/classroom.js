// Live class pages follow the trial without a reload button. Participant pages (and the
// projector) ask the tiny status endpoint every 3 s, sending the ETag they got: "304 Not
// Modified" costs one indexed query and no template; a new row version means the trainer
// moved the trial (vote closed, results shown, next step), and the page reloads. The
// trainer's page ("always") reloads every 4 s to show votes arriving, unless a form on it
// is being filled. Without JavaScript a <noscript> meta refresh does the same.
(function () {
  "use strict";
  var el = document.getElementById("class-follow");
  if (!el || !window.fetch) return;
  var url = el.getAttribute("data-status-url");
  var mode = el.getAttribute("data-mode");
  var version = el.getAttribute("data-version");
  var etag = null;
  var dirty = false;
  document.addEventListener("input", function () { dirty = true; });

  function poll() {
    if (mode === "always") {
      if (!dirty) window.location.reload();
      return;
    }
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(url, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) return null;  // 304: nothing new
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (status) {
        if (status && String(status.version) !== version) window.location.reload();
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  window.setInterval(poll, mode === "always" ? 4000 : 3000);
})();
