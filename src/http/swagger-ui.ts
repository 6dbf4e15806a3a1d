import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import { contentSecurityPolicy } from './content-security-policy';

/**
 * Swagger UI's own settings. They must reach the browser through `swagger-ui-init.js`: swagger-ui-express's
 * `setup()` options only shape the HTML, so options given there alone (persistAuthorization, tryItOutEnabled)
 * were silently ignored.
 */
const UI_OPTIONS = {
  url: '/openapi.yaml',
  persistAuthorization: true,
  displayRequestDuration: true,
  tryItOutEnabled: true,
};

/**
 * Our `swagger-ui-init.js`: swagger-ui-express's one, plus a plugin that writes the least role of each operation
 * (the scope of its `bearerAuth` requirement) beside its path. Swagger UI shows scopes only for OAuth2 schemes, so
 * without it the role a token needs is nowhere on the page. Plain browser JavaScript in a string: a function here
 * would be compiled (and instrumented under coverage) before being sent.
 */
const INIT_SCRIPT = `'use strict';
function DockhandRoleScopes(system) {
  var h = system.React.createElement;
  return {
    wrapComponents: {
      OperationSummaryPath: function (Original) {
        return function (props) {
          var security = props.operationProps.get('security');
          var roles = [];
          if (security) security.forEach(function (req) { var s = req.get('bearerAuth'); if (s) s.forEach(function (r) { roles.push(r); }); });
          if (!roles.length) return h(Original, props);
          var text = 'role: ' + roles.join(', ');
          return h(system.React.Fragment, null, h(Original, props), h('span', {
            className: 'dockhand-role', title: 'The least role a token needs for this operation', 'data-role': roles.join(' '),
            style: { marginLeft: '10px', padding: '0 6px', border: '1px solid #999', borderRadius: '3px', fontSize: '12px', fontFamily: 'sans-serif', whiteSpace: 'nowrap' },
          }, text));
        };
      },
    },
  };
}
window.onload = function () {
  var options = ${JSON.stringify(UI_OPTIONS)};
  window.ui = SwaggerUIBundle(Object.assign({
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl, DockhandRoleScopes],
    layout: 'StandaloneLayout',
  }, options));
};
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Text of the `<style>` elements Swagger UI's bundles render themselves (the top bar's logo has one). */
function renderedStyles(): string[] {
  const dir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const js = ['swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js'].map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  return [...js.matchAll(/createElement\("style",null,"([^"\\]*)"\)/g)].map((m) => m[1]);
}

/**
 * Only this origin: no inline script at all (the init is a file), and of inline styles only the exact blocks and
 * the one `style` attribute of swagger-ui-express's page template plus the style elements the bundles render, by
 * hash. Swagger UI's own React styles are set through the DOM, which CSP does not govern.
 */
export function docsCsp(html: string, rendered: string[] = []): string {
  const blocks = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)]
    .map((m) => m[1])
    .concat(rendered)
    .map(sha256);
  const attributes = [...html.matchAll(/\sstyle="([^"]*)"/g)].map((m) => sha256(m[1]));
  return contentSecurityPolicy([...blocks, ...(attributes.length ? ["'unsafe-hashes'", ...attributes] : [])]);
}

/** Swagger UI under `/docs`, served from local files only; loaded by the first request: few processes are asked for it. */
export function swaggerUiOnFirstUse(): RequestHandler {
  let ui: Router | undefined;
  return (req, res, next) => {
    if (!ui) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on the first /docs request, not at start-up
      const swaggerUi = require('swagger-ui-express') as typeof import('swagger-ui-express');
      const setup = { customSiteTitle: 'Dockhand API', swaggerOptions: UI_OPTIONS };
      const csp = docsCsp(swaggerUi.generateHTML(undefined, setup), renderedStyles());
      ui = express.Router();
      ui.use((_req, res, next) => {
        res.setHeader('Content-Security-Policy', csp);
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Referrer-Policy', 'no-referrer');
        next();
      });
      ui.get('/swagger-ui-init.js', (_req, res) => {
        res.type('application/javascript').send(INIT_SCRIPT);
      });
      ui.use(swaggerUi.serveFiles(undefined, { swaggerOptions: UI_OPTIONS }), swaggerUi.setup(undefined, setup));
    }
    ui(req, res, next);
  };
}
