// Quiz pages without JavaScript work as plain forms; this adds background saving and a
// countdown. Answers go to the same address as the form, asking for JSON back.
(function () {
  "use strict";
  var form = document.querySelector("form.quiz-form");
  var status = document.querySelector(".autosave-status");
  if (!form || !status || !window.fetch || !window.FormData) return;
  var lang = document.documentElement.lang;
  // The page supplies the messages in its language.
  var words = {
    saving: status.getAttribute("data-saving"),
    saved: status.getAttribute("data-saved"),
    failed: status.getAttribute("data-failed")
  };
  var timer = null;
  var pending = false;   // answers changed since the last save was sent
  var inflight = false;  // a save is on its way: the next waits for its new revisions
  var failures = 0;      // saves lost in a row (no reply, or the server failed): sent again later
  var sending = null;    // the answers of the last save whose reply was not read, by question

  function say(text) { status.textContent = text; }

  // Each answer carries the revision the page last saw; the server refuses to overwrite an
  // answer saved since (in another tab), so the page keeps its revisions up to date.
  function remember(revisions) {
    Object.keys(revisions || {}).forEach(function (id) {
      var field = form.querySelector('input[name="revision-' + id + '"]');
      if (field) field.value = revisions[id];
    });
  }

  // A lost save is sent again, waiting longer each time (2, 4, 8 … 30 s). Sending the same
  // answers twice is safe: the server stores an unchanged answer without a conflict.
  function retry() {
    failures += 1;
    say(words.failed);
    later(Math.min(30000, 1000 * Math.pow(2, failures)));
  }

  function save(keepalive) {
    if (timer) clearTimeout(timer);
    timer = null;
    if (inflight) { pending = true; return; }
    pending = false;
    inflight = true;
    sending = answersNow();
    var data = new FormData(form);
    data.delete("go");
    say(words.saving);
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (response.status >= 500) throw new TypeError("server " + response.status);
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      failures = 0;
      sending = null;  // a save with no reply may have been stored all the same (see keep)
      remember(result.body.revisions);
      if (result.status === 409 && result.body.location) {
        window.location.assign(result.body.location); // submitted, or the time is up
      } else if (result.status === 200) {
        var time = new Date().toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
        say(words.saved + " (" + time + ")");
      } else if (result.body.errors) {
        var messages = Object.keys(result.body.errors).map(function (k) { return result.body.errors[k]; });
        say(messages.join(" "));
      } else {
        say(result.body.message || result.body.error || words.failed);
      }
    }).catch(function (error) {
      // No reply or a failing server: send again; any other failure is only reported.
      if (error instanceof TypeError) retry(); else say(words.failed);
    }).then(function () {
      inflight = false;
      if (pending && !timer) save();
    });
  }

  function later(delay) {
    pending = true;
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, delay);
  }

  form.addEventListener("change", function () { later(300); });
  form.addEventListener("input", function (event) {
    if (event.target.matches("input[type=text], textarea")) later(2000); // typing: wait for a pause
  });
  // A pending save is dropped when the form itself is sent: the form carries the same answers.
  form.addEventListener("submit", function () { if (timer) clearTimeout(timer); pending = false; });
  // Leaving or hiding the page (another tab, a reload, a phone's home button) sends what waits.
  // A save sent then can reach the server after the next page was read (a reload), and what
  // waits behind a save on its way is not sent at all: the next page would show the answers as
  // they were. So this tab also keeps them (sessionStorage), each with the revision the page
  // had, and the next page puts back, and saves, those still based on what it shows (basedOn).
  function leaving() {
    if (!pending && !inflight) return;
    keep();
    if (pending) save(true);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") leaving();
  });
  window.addEventListener("pagehide", leaving);

  var kept = "quiz-unsaved " + form.action;
  var questions = Array.prototype.slice.call(form.querySelectorAll("section.question"));
  function revisionOf(question) {
    return question.querySelector('input[name^="revision-"]').value;
  }
  function answerControls(question) {
    return Array.prototype.slice.call(
      question.querySelectorAll("input:not([type=hidden]), textarea, select"));
  }
  function isChoice(control) { return control.type === "radio" || control.type === "checkbox"; }
  function valuesOf(question) {
    return answerControls(question).filter(function (c) { return !isChoice(c) || c.checked; })
      .map(function (c) { return [c.name, c.value]; });
  }
  function answersNow() {
    var answers = {};
    questions.forEach(function (question) { answers[question.id] = valuesOf(question); });
    return answers;
  }

  function keep() {
    var answers = {};
    questions.forEach(function (question) {
      answers[question.id] = {
        revision: revisionOf(question),
        values: valuesOf(question),
        sent: sending && sending[question.id]  // it may be stored, its reply unread
      };
    });
    try { sessionStorage.setItem(kept, JSON.stringify(answers)); } catch (e) { /* full, or off */ }
  }

  // Whether the page shows the answer the kept one was based on: at the same revision, or at
  // the next one holding what the save on its way sent (it was stored; its reply was not read).
  // An answer stored since by anything else (another window) is left as the page shows it.
  function basedOn(answer, question) {
    var revision = revisionOf(question);
    if (answer.revision === revision) return true;
    return !!answer.sent && String(Number(answer.revision) + 1) === revision &&
      JSON.stringify(valuesOf(question)) === JSON.stringify(answer.sent);
  }

  function putBack() {
    var answers = null;
    try {
      answers = JSON.parse(sessionStorage.getItem(kept));
      sessionStorage.removeItem(kept);
    } catch (e) { return; }
    if (!answers) return;
    var changed = false;
    questions.forEach(function (question) {
      var answer = answers[question.id];
      if (!answer || !basedOn(answer, question)) return;
      answerControls(question).forEach(function (control) {
        var values = answer.values.filter(function (v) { return v[0] === control.name; })
          .map(function (v) { return v[1]; });
        if (isChoice(control)) {
          var on = values.indexOf(control.value) >= 0;
          changed = changed || control.checked !== on;
          control.checked = on;
        } else {
          var value = values.length ? values[0] : "";
          changed = changed || control.value !== value;
          control.value = value;
        }
      });
    });
    if (changed) save();
  }
  putBack();

  var clock = document.querySelector(".timer[data-deadline]");
  if (!clock) return;
  var deadline = Date.parse(clock.getAttribute("data-deadline"));
  var countdown = clock.querySelector(".countdown");
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var minutes = Math.floor(left / 60), seconds = left % 60;
    countdown.textContent = "(" + minutes + ":" + (seconds < 10 ? "0" : "") + seconds + ")";
    if (left === 0) {
      clearInterval(interval);
      // The server submits the attempt when it is next touched; go and see the result.
      setTimeout(function () { window.location.assign(clock.getAttribute("data-result-url")); }, 11000);
    }
  }
  var interval = setInterval(tick, 1000);
  tick();
})();
