// The cases app's small behaviours: the commitment's print dialog, and the hand-over receiver picker: a search box that narrows the grouped <select> as staff type.
// Progressive enhancement: the box is hidden in the HTML and shown here, so without JS the plain
// <select> with its department · window groups is all there is. Local file, no CDN (CSP: script-src 'self').
(function () {
  "use strict";

  function fold(text) {
    return (text || "").normalize("NFKC").toLowerCase().replace(/\s+/g, "");
  }

  function filter(box, select) {
    const wanted = fold(box.value);
    let firstMatch = null;
    select.querySelectorAll("optgroup").forEach((group) => {
      const groupHit = wanted && fold(group.label).includes(wanted);
      let shown = 0;
      group.querySelectorAll("option").forEach((option) => {
        const hit = !wanted || groupHit || fold(option.textContent).includes(wanted);
        option.hidden = !hit;
        option.disabled = !hit && !option.selected;
        if (hit) {
          shown += 1;
          firstMatch = firstMatch || option;
        }
      });
      group.hidden = shown === 0;
    });
    // Never choose for the person: a single match is only offered, the <select> keeps its value.
    box.dataset.matches = String(select.querySelectorAll("optgroup option:not([hidden])").length);
    return firstMatch;
  }

  function setUp(box) {
    const select = document.getElementById(box.dataset.pickerFilter);
    if (!select) return;
    box.hidden = false;
    box.addEventListener("input", () => filter(box, select));
    // Enter in the box never submits the hand-over: it moves to the list instead.
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        select.focus();
      }
    });
  }

  // A form marked data-no-enter-submit (the case form) is never submitted by Enter: only its buttons decide.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing) return;
    const field = event.target.closest && event.target.closest("input, select");
    if (field && field.form && field.form.hasAttribute("data-no-enter-submit")) event.preventDefault();
  });

  function init(root) {
    root.querySelectorAll("[data-picker-filter]").forEach(setUp);
    // The commitment's copy for signing opens the print dialog once (the POST that made it was the click).
    if (root.querySelector("[data-autoprint]")) window.print();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init(document));
  } else {
    init(document);
  }
})();
