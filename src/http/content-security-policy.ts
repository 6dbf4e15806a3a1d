/**
 * The Content-Security-Policy of the pages this service serves (web console, Swagger UI): everything from its
 * own origin only — scripts, styles, fetch and the WebSocket (`'self'` covers ws: on the same host in CSP 3) —
 * no inline code, no frames, nothing from a CDN. `styleSources` adds what a page must allow for its styles.
 */
export function contentSecurityPolicy(styleSources: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    ['style-src', "'self'", ...styleSources].join(' '),
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
