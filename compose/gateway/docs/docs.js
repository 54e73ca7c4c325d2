// The gateway's /docs: docs/openapi.yaml rendered by Swagger UI, from files the gateway serves
// itself (scripts/stack copies them from the PyPI package swagger-ui-py; nothing comes from a
// CDN). "Authorize" takes a token from scripts/token. "Try it out" calls the gateway that served
// this page, whatever address the spec's servers name, so it works on any port.
window.ui = SwaggerUIBundle({
  url: "openapi.yaml",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  requestInterceptor: (request) => {
    const url = new URL(request.url, window.location.href);
    url.protocol = window.location.protocol;
    url.host = window.location.host;
    request.url = url.toString();
    return request;
  },
});
