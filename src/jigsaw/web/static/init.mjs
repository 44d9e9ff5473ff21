// Starts GOV.UK Frontend's components (password reveal, error summary focus, menu).
// A file rather than an inline script, so a strict Content-Security-Policy can apply.
import { initAll } from "/assets/govuk-frontend.min.js";
import { stackTables } from "/static/tables.mjs";

initAll();
stackTables();
