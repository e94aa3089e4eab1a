// Referly's only script: progressive enhancements. Every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Selects marked data-autosubmit submit their form when changed (the language picker, filters).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // Buttons marked data-copy="ID" copy the text of the element ID to the clipboard.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      const text = source.value !== undefined ? source.value : source.textContent;
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        if (source.select) source.select();
        document.execCommand("copy");
      }
      const label = button.textContent;
      button.textContent = button.dataset.copied || "Copied";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  }
  // Forms marked data-confirm ask before they submit.
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});
