// Show only the tags that fit the chosen level (tags carry data-levels="1,2"; empty = every level).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-rate-form]");
  if (!form) return;
  const update = () => {
    const chosen = form.querySelector("input[name=level]:checked");
    form.querySelectorAll(".rate-tag").forEach((label) => {
      const levels = (label.dataset.levels || "").split(",").filter(Boolean);
      const show = chosen !== null && (levels.length === 0 || levels.includes(chosen.value));
      label.classList.toggle("is-hidden", !show);
      if (!show) label.querySelector("input").checked = false;
    });
  };
  form.addEventListener("change", update);
  update();
});
