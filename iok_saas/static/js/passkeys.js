// Passkeys (WebAuthn) for forms marked data-passkey="create" or data-passkey="get".
// The form's data-options URL gives the ceremony's options (JSON text from py_webauthn,
// binary values in base64url); the authenticator's answer is posted as JSON to the form's
// action, which answers {redirect} or {error}. Sections marked data-passkey-supported stay
// hidden in browsers without WebAuthn, and those marked data-passkey-unsupported are hidden
// in browsers with it. Messages shown are the server's (Polish) or the form's data-* texts,
// never a browser's own (English) error text.
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); });
  }

  function toText(buffer) {
    var binary = String.fromCharCode.apply(null, new Uint8Array(buffer));
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBytes(item.id) });
    });
  }

  function creationOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    options.excludeCredentials = withIds(options.excludeCredentials);
    return { publicKey: options };
  }

  function requestOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.allowCredentials = withIds(options.allowCredentials);
    return { publicKey: options };
  }

  function answer(credential) {
    var response = credential.response;
    var out = { id: credential.id, rawId: toText(credential.rawId), type: credential.type,
                clientExtensionResults: credential.getClientExtensionResults(),
                authenticatorAttachment: credential.authenticatorAttachment || null,
                response: { clientDataJSON: toText(response.clientDataJSON) } };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      out.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return out;
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {})
    }).then(function (reply) {
      return reply.json().catch(function () { return {}; });
    });
  }

  function refusal(text) {
    var error = new Error(text || "");
    error.fromServer = true;
    return error;
  }

  function message(form, error) {
    if (error && error.fromServer) { return error.message; }
    if (error && error.name === "NotAllowedError") { return form.dataset.cancelled; }
    if (error && error.name === "InvalidStateError" && form.dataset.known) {
      return form.dataset.known;      // this authenticator already holds a key of this account
    }
    return form.dataset.failed;
  }

  function run(form, event) {
    event.preventDefault();
    var kind = form.dataset.passkey;
    var token = form.querySelector("[name=csrf_token]").value;
    var status = form.querySelector("[data-passkey-status]");
    var button = form.querySelector("button, [type=submit]");
    function fail(message) {
      status.textContent = message || form.dataset.failed;
      button.disabled = false;
    }
    button.disabled = true;
    status.textContent = "";
    post(form.dataset.options, token).then(function (reply) {
      if (!reply.json_text) { throw refusal(reply.error); }
      var options = JSON.parse(reply.json_text);
      return kind === "create"
        ? navigator.credentials.create(creationOptions(options))
        : navigator.credentials.get(requestOptions(options));
    }).then(function (credential) {
      var body = { credential: JSON.stringify(answer(credential)) };
      var name = form.querySelector("[name=name]");
      if (name) { body.name = name.value; }
      return post(form.action, token, body);
    }).then(function (reply) {
      if (reply.redirect) { window.location.assign(reply.redirect); } else { fail(reply.error); }
    }).catch(function (error) {
      fail(message(form, error));
    });
  }

  if (!window.PublicKeyCredential) { return; }
  document.querySelectorAll("[data-passkey-supported]").forEach(function (section) {
    section.hidden = false;
  });
  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (note) {
    note.hidden = true;
  });
  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    form.addEventListener("submit", function (event) { run(form, event); });
  });
}());
