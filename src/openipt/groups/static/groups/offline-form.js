// A group session form that survives a dropped connection.
//
// Facilitators record a session on a phone, often where the signal comes and
// goes, and a staff sign-in ends after 15 idle minutes. A <form
// data-offline-key> keeps a copy of its fields in this phone's localStorage on
// every change; when the page is opened again (after a reload, or after signing
// in again) the copy is put back. Saving goes through fetch: with no
// connection the copy stays and the page says so; the server's answer replaces
// the page's main part. The copy includes the form's idempotency key, so
// pressing Save again, even after a save whose answer never arrived, can never
// store the session twice (the server returns the stored one).
//
// Why the copy is kept only until the session is saved: it holds members'
// answers and tasks, which are health data, on a phone that may be shared or
// lost. It never holds a name (fields are named by member ids), it is deleted
// as soon as the server confirms the save, dropped after 7 days in any case,
// and cleared when someone signs out from a page that loads this file.
//
// Progressive enhancement: without this file (or without localStorage) the form
// posts normally. Served from our own origin; no inline script.
(function () {
  "use strict";
  var PREFIX = "openipt.groups.offline.";
  var MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
  var NOT_SENT =
    "Not sent: no connection. Your entries are kept on this phone; press Save again when you have signal.";
  var RESTORED = "Restored what you entered before the connection dropped.";
  var BACK_ONLINE = "The connection is back: press Save to send your entries.";
  // Hidden fields the copy may put back; the rest (member ids, the session number)
  // always come from the page the server drew.
  var RESTORABLE_HIDDEN = { idempotency_key: true, version: true };
  var NEVER_KEPT = { csrfmiddlewaretoken: true };
  var SESSION_PAGE = /^[0-9a-f-]{36}\/$/;

  function storage() {
    try {
      var store = window.localStorage;
      store.getItem(PREFIX);
      return store;
    } catch (e) {
      return null; // storage switched off: the form still posts normally
    }
  }

  function ourKeys(store, start) {
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (key && key.indexOf(start) === 0) keys.push(key);
    }
    return keys;
  }

  function read(store, key) {
    try {
      var draft = JSON.parse(store.getItem(key) || "null");
      if (draft && Array.isArray(draft.fields) && Array.isArray(draft.names)) return draft;
    } catch (e) {
      // unreadable copy: treated as none
    }
    return null;
  }

  function dropExpired(store) {
    var now = Date.now();
    ourKeys(store, PREFIX).forEach(function (key) {
      var draft = read(store, key);
      if (!draft || !(now - draft.savedAt < MAX_AGE_MS)) store.removeItem(key);
    });
  }

  function clearAll(store) {
    ourKeys(store, PREFIX).forEach(function (key) {
      store.removeItem(key);
    });
  }

  function fieldsOf(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (!NEVER_KEPT[name] && typeof value === "string") fields.push([name, value]);
    });
    return fields;
  }

  function namesOf(form) {
    var names = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && !NEVER_KEPT[el.name]) names[el.name] = true;
    });
    return Object.keys(names);
  }

  function restore(form, draft) {
    var values = {};
    draft.fields.forEach(function (pair) {
      (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
    });
    var known = {};
    draft.names.forEach(function (name) {
      known[name] = true;
    });
    var used = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      var name = el.name;
      // A field the copy never saw (a member added since) keeps what the server drew.
      if (!name || !known[name] || el.type === "submit" || el.type === "button") return;
      if (el.type === "hidden" && !RESTORABLE_HIDDEN[name]) return;
      var list = values[name] || [];
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = list.indexOf(el.value) !== -1;
      } else {
        var index = used[name] || 0;
        el.value = index < list.length ? list[index] : "";
        used[name] = index + 1;
      }
    });
  }

  function landedOnSessionPage(form, response) {
    var prefix = form.getAttribute("data-offline-success") || "";
    var path = new URL(response.url, window.location.href).pathname;
    return (
      response.ok &&
      prefix !== "" &&
      path.indexOf(prefix) === 0 &&
      SESSION_PAGE.test(path.slice(prefix.length))
    );
  }

  function showResponse(html, response) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.querySelector("main");
    var current = document.querySelector("main");
    if (!main || !current) {
      window.location.assign(response.url);
      return;
    }
    current.replaceWith(document.importNode(main, true));
    if (doc.title) document.title = doc.title;
    if (response.url && response.url !== window.location.href) {
      window.history.replaceState(null, "", response.url);
    }
    window.scrollTo(0, 0);
    start();
  }

  function watch(form, store) {
    var scope = form.getAttribute("data-offline-scope") || "";
    var key = form.getAttribute("data-offline-key") || "";
    if (!scope || key.indexOf(scope + ".") !== 0) return;
    // One notice at the top (seen on opening the page), one beside Save (seen on pressing it).
    var notices = form.querySelectorAll("[data-offline-notice]");
    var button = form.querySelector("[data-offline-submit]");
    var sending = false;
    var said = "";

    function say(text) {
      said = text;
      Array.prototype.forEach.call(notices, function (notice) {
        notice.textContent = text;
        notice.hidden = !text;
      });
    }

    // A new-session copy for an earlier number was saved since (its session is
    // recorded, or the page would ask for that number): nothing left to keep.
    var match = scope.match(/^(.*\.)new-(\d+)$/);
    if (match) {
      ourKeys(store, match[1] + "new-").forEach(function (other) {
        var rest = other.slice((match[1] + "new-").length);
        var number = parseInt(rest, 10);
        if (number < parseInt(match[2], 10)) store.removeItem(other);
      });
    }

    // Put back the newest copy of this same form, with its idempotency key.
    var newest = null;
    ourKeys(store, scope + ".").forEach(function (other) {
      var draft = read(store, other);
      if (!draft) return;
      if (!newest || draft.savedAt > newest.draft.savedAt) {
        if (newest) store.removeItem(newest.key);
        newest = { key: other, draft: draft };
      } else {
        store.removeItem(other);
      }
    });
    if (newest && newest.key !== key) {
      restore(form, newest.draft);
      key = newest.key;
      form.setAttribute("data-offline-key", key);
      say(RESTORED);
    }

    function keep() {
      try {
        store.setItem(
          key,
          JSON.stringify({ savedAt: Date.now(), names: namesOf(form), fields: fieldsOf(form) })
        );
      } catch (e) {
        // storage full or refused: the form itself still holds the entries
      }
    }

    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    window.addEventListener("online", function () {
      if (said === NOT_SENT) say(BACK_ONLINE);
    });

    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData || !window.DOMParser) return;
      event.preventDefault();
      if (sending) return; // a double tap; the key would make it harmless anyway
      keep();
      if (navigator.onLine === false) {
        say(NOT_SENT);
        return;
      }
      sending = true;
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        redirect: "follow",
        headers: { Accept: "text/html" }
      })
        .then(function (response) {
          return response.text().then(function (html) {
            if (landedOnSessionPage(form, response)) store.removeItem(key);
            showResponse(html, response);
          });
        })
        .catch(function () {
          say(NOT_SENT);
        })
        .then(function () {
          sending = false;
          if (button) button.disabled = false;
        });
    });
  }

  function start() {
    var store = storage();
    if (!store) return;
    dropExpired(store);
    document.querySelectorAll("form[data-offline-key]").forEach(function (form) {
      watch(form, store);
    });
    document.querySelectorAll('form[action*="logout"]').forEach(function (form) {
      if (form.hasAttribute("data-offline-cleared")) return;
      form.setAttribute("data-offline-cleared", "");
      form.addEventListener("submit", function () {
        clearAll(store);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
