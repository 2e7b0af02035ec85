// Starts allauth's WebAuthn forms (allauth's static mfa/js/webauthn.js) from
// data attributes on the button, so no page needs an inline <script> block:
//   <button id="…" data-webauthn-form="addForm|authenticateForm"
//           data-webauthn-credential="id of the hidden credential input"
//           data-webauthn-data="id of the json_script element"
//           data-webauthn-passwordless="id of the passwordless checkbox (optional)">
(function () {
  "use strict";
  var KNOWN = { addForm: "add", authenticateForm: "authenticate" };
  document.addEventListener("DOMContentLoaded", function () {
    var allauth = window.allauth;
    if (!allauth || !allauth.webauthn) return;
    document.querySelectorAll("[data-webauthn-form]").forEach(function (button) {
      var kind = button.getAttribute("data-webauthn-form");
      if (!Object.prototype.hasOwnProperty.call(KNOWN, kind)) return;
      var ids = {
        credential: button.getAttribute("data-webauthn-credential"),
        data: button.getAttribute("data-webauthn-data")
      };
      ids[KNOWN[kind]] = button.id;
      var passwordless = button.getAttribute("data-webauthn-passwordless");
      if (passwordless) ids.passwordless = passwordless;
      allauth.webauthn.forms[kind]({ ids: ids });
    });
  });
})();
