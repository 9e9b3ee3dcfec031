// Renders Milkcrate's OpenAPI document with Swagger UI. A file, not an inline script, so the
// page's policy allows scripts from this origin only. No validator badge: it would call out.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#docs",
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: false,
  });
});
