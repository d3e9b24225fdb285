// The onboarding form's live preview of a tenant's header: the colour pickers, the logo
// text and the short name redraw the SVG the server rendered (the form works without it).
(function () {
  "use strict";
  var form = document.getElementById("onboarding-form");
  if (!form) { return; }
  var byId = function (id) { return document.getElementById(id); };
  var primary = byId("primary_color");
  var accent = byId("accent_color");
  var logo = byId("logo_text");
  var name = byId("short_name");
  var contrastNote = byId("preview-contrast");
  var hex = /^#[0-9a-fA-F]{6}$/;

  function contrastWithWhite(colour) {
    var channels = [1, 3, 5].map(function (i) {
      var c = parseInt(colour.substr(i, 2), 16) / 255;
      return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
    return 1.05 / (luminance + 0.05);
  }

  function redraw() {
    if (primary && hex.test(primary.value)) {
      byId("preview-header").setAttribute("fill", primary.value);
      byId("preview-logo").setAttribute("fill", primary.value);
      if (contrastNote) {
        var ratio = contrastWithWhite(primary.value);
        var text = ratio.toFixed(2).replace(".", ",");
        contrastNote.textContent = ratio >= 4.5
          ? contrastNote.dataset.ok.replace("%s", text)
          : contrastNote.dataset.low.replace("%s", text);
        contrastNote.classList.toggle("text-danger", ratio < 4.5);
      }
    }
    if (accent && hex.test(accent.value)) {
      byId("preview-accent").setAttribute("fill", accent.value);
    }
    if (logo) { byId("preview-logo").textContent = logo.value.slice(0, 6); }
    if (name && name.value.trim()) { byId("preview-name").textContent = name.value; }
  }

  [primary, accent, logo, name].forEach(function (input) {
    if (input) {
      input.addEventListener("input", redraw);
      input.addEventListener("change", redraw);
    }
  });
})();
