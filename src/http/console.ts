import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import { PROJECT_ROOT } from '../config/paths';
import { contentSecurityPolicy } from './content-security-policy';

/** Where `npm run build` (scripts/build-web.js) puts the bundled web console; the same from src/ and dist/. */
export const CONSOLE_DIR = path.join(PROJECT_ROOT, 'dist', 'web');

/**
 * The console talks only to its own origin: scripts, styles, fetch and the WebSocket (`'self'` covers ws: on the
 * same host in CSP 3). No inline code, no frames, nothing from a CDN.
 */
export const CONSOLE_CSP = contentSecurityPolicy();

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
};

/** The files the build writes; anything else under `/` is left to the API's own 404. */
const ASSETS = new Set(['/app.js', '/app.js.map', '/styles.css']);

/**
 * The web console at `/` (index.html) and its few assets, served before the contract validator because they are
 * not API operations. When the bundle was never built, `/` says how to build it instead of a bare 404.
 */
export function consoleRouter(dir: string = CONSOLE_DIR): Router {
  const router = express.Router();
  const files = express.static(dir, { index: false, fallthrough: false, maxAge: 0 });
  router.get('/', securityHeaders, (_req, res) => {
    const index = path.join(dir, 'index.html');
    if (!fs.existsSync(index)) {
      res
        .status(503)
        .type('text/plain')
        .send('The web console is not built. Run `npm run build` (it bundles web/ into dist/web/), then reload this page.\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  router.get([...ASSETS], securityHeaders, files);
  return router;
}
