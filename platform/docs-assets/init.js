// Starts Swagger UI on /docs (platform/docs.ts). A file rather than an inline script, so
// that the page's Content-Security-Policy can forbid inline scripts.
window.ui = window.SwaggerUIBundle({
  url: '/docs/openapi.yaml',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // The default validator badge sends the document to validator.swagger.io.
  validatorUrl: null,
  // Never load another document named in the page's query string (?url=, ?configUrl=).
  queryConfigEnabled: false,
  // Tokens typed into "Authorize" stay in memory, not in localStorage.
  persistAuthorization: false,
  // Show minLength, maxLength, pattern and the like next to each parameter.
  showCommonExtensions: true,
  displayRequestDuration: true,
  filter: true,
  requestSnippetsEnabled: true,
  defaultModelsExpandDepth: 1,
  defaultModelExpandDepth: 2,
})
