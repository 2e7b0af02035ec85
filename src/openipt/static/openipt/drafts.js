// Autosave of notes being typed (security promise 6: text survives a timeout).
//
// Every <textarea data-draft-key="..."> is posted, a few seconds after typing
// stops and whenever the page is hidden, to the course's draft endpoint
// (data-draft-url on the form, or /courses/<id>/drafts/ for a course page).
// The server keeps one encrypted draft per author, course and key, and
// restores it into the form on the next visit. Progressive enhancement: the
// forms work the same without this file, only without drafts. Served from our
// own origin; no inline script.
(function () {
  "use strict";
  var QUIET_MS = 2500;
  var COURSE_PATH = /^\/courses\/([0-9a-f-]{36})\//;

  function draftUrl(form) {
    var url = form.getAttribute("data-draft-url");
    if (url) return url;
    var match = window.location.pathname.match(COURSE_PATH);
    return match ? "/courses/" + match[1] + "/drafts/" : null;
  }

  function csrfToken(form) {
    var input = form.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : null;
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function watch(form) {
    var fields = form.querySelectorAll("textarea[data-draft-key]");
    var url = draftUrl(form);
    if (!fields.length || !url) return;
    var status = form.querySelector("[data-draft-status]");
    var dirty = new Map();
    var timer = null;
    var submitting = false;

    function say(text, problem) {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("draft-problem", Boolean(problem));
    }

    function post(field, keepalive) {
      var token = csrfToken(form);
      if (!token) return Promise.resolve(false);
      var body = new FormData();
      body.append("csrfmiddlewaretoken", token);
      body.append("key", field.getAttribute("data-draft-key"));
      body.append("text", field.value);
      body.append("base_version", field.getAttribute("data-draft-version") || "0");
      return fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        keepalive: Boolean(keepalive),
        headers: { Accept: "application/json" }
      }).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        // A redirect (to sign in) means the session ended: nothing was kept.
        if (response.redirected || !json) {
          say("Draft not saved: you may have been signed out. Copy your text before leaving this page.", true);
          return false;
        }
        return response.json().then(function (answer) {
          if (!response.ok || !answer.saved) {
            say("Draft not saved: " + (answer.error || "please try again."), true);
            return false;
          }
          return true;
        });
      });
    }

    function flush(keepalive) {
      if (timer) {
        window.clearTimeout(timer);
        timer = null;
      }
      if (submitting || dirty.size === 0) return;
      var pending = Array.from(dirty.values());
      dirty.clear();
      say("Saving draft…", false);
      Promise.all(pending.map(function (field) { return post(field, keepalive); }))
        .then(function (results) {
          if (results.every(Boolean)) {
            var now = new Date();
            say("Draft saved " + pad(now.getHours()) + ":" + pad(now.getMinutes()), false);
          } else {
            // Try these again on the next pause in typing.
            pending.forEach(function (field) { dirty.set(field.getAttribute("data-draft-key"), field); });
          }
        })
        .catch(function () {
          pending.forEach(function (field) { dirty.set(field.getAttribute("data-draft-key"), field); });
          say("Draft not saved: the connection was lost. It will be tried again.", true);
        });
    }

    form.addEventListener("input", function (event) {
      var field = event.target;
      if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute("data-draft-key")) return;
      dirty.set(field.getAttribute("data-draft-key"), field);
      if (timer) window.clearTimeout(timer);
      timer = window.setTimeout(function () { flush(false); }, QUIET_MS);
    });
    // The form's own save makes its drafts unnecessary (the server deletes them).
    form.addEventListener("submit", function () {
      submitting = true;
      if (timer) window.clearTimeout(timer);
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") flush(true);
    });
    window.addEventListener("pagehide", function () { flush(true); });
  }

  function start() {
    var forms = new Set();
    document.querySelectorAll("textarea[data-draft-key]").forEach(function (field) {
      if (field.form) forms.add(field.form);
    });
    forms.forEach(watch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
