// Starts Swagger UI on the API documentation page. A file rather than an inline
// script, so the Content-Security-Policy can refuse every inline script.
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  deepLinking: false,
  validatorUrl: null,
});
