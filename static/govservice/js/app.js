// Small behaviours without inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-toggle-nav]");
  if (toggle) {
    const nav = document.getElementById(toggle.getAttribute("aria-controls"));
    const open = nav.classList.toggle("is-open");
    toggle.setAttribute("aria-expanded", String(open));
  }
  const printer = event.target.closest("[data-print]");
  if (printer) {
    event.preventDefault();
    window.print();
  }
  const confirmer = event.target.closest("[data-confirm]");
  if (confirmer && !window.confirm(confirmer.dataset.confirm)) {
    event.preventDefault();
  }
});

// Enter in a form marked data-no-enter sends nothing (a checkbox or a select would send it in some
// browsers): its decision is taken with an explicit button and a confirmation step.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !event.target.closest("form[data-no-enter]")) {
    return;
  }
  const tag = event.target.tagName;
  if (tag !== "TEXTAREA" && tag !== "BUTTON" && tag !== "A") {
    event.preventDefault();
  }
});
