// Marks the page as having JavaScript, and GOV.UK Frontend as supported where the
// browser runs modules, before anything is drawn. GOV.UK Frontend's template does this
// with an inline script; a file lets the Content-Security-Policy refuse all inline script.
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
