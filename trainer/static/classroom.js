// Live class pages follow the trial without a reload button. They ask the tiny status
// endpoint every 3 s, sending the ETag they got: "304 Not Modified" costs one indexed query
// and no template. A new row version means the trainer moved the trial (vote closed,
// results shown, next step): the page reloads. The trainer's pages (data-mode "trainer")
// also reload when votes or participants arrive ("room": "votes/participants"), but not
// while a form on the page is being filled. Without JavaScript a <noscript> meta refresh does the job.
(function () {
  "use strict";
  var el = document.getElementById("class-follow");
  if (!el || !window.fetch) return;
  var url = el.getAttribute("data-status-url");
  var mode = el.getAttribute("data-mode");
  var version = el.getAttribute("data-version");
  var count = el.getAttribute("data-room");
  var etag = null;
  var dirty = false;
  document.addEventListener("input", function () { dirty = true; });

  function changed(status) {
    if (String(status.version) !== version) return true;
    return mode === "trainer" && !dirty && status.room !== count;
  }

  function poll() {
    var headers = etag ? { "If-None-Match": etag } : {};
    fetch(url, { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) return null;  // 304: nothing new
        etag = response.headers.get("ETag");
        return response.json();
      })
      .then(function (status) {
        if (status && changed(status)) window.location.reload();
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }
  window.setInterval(poll, 3000);
})();
