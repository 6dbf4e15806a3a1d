import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { consoleRouter } from '../../src/http/console';
import { auth, startService, type TestService } from '../helpers/service';
import { buildConsole } from '../helpers/web-console';

let svc: TestService;
beforeAll(async () => {
  await buildConsole();
  svc = await startService();
});
afterAll(async () => {
  await svc.close();
});

describe('GET /api/v1/me', () => {
  test.each([
    ['viewer', 'test-viewer'],
    ['operator', 'test-operator'],
    ['admin', 'test-admin'],
  ] as const)('when a %s token asks who it is, then its name and role come back, never the token', async (role, name) => {
    const res = await svc.http.get('/api/v1/me').set(auth(role));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ name, role });
  });

  test('when no token is sent, then 401 unauthorized', async () => {
    const res = await svc.http.get('/api/v1/me');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
  });
});

describe('the web console at /', () => {
  test('when the bundle is built, then / is the page with a self-only Content-Security-Policy and no external references', async () => {
    const res = await svc.http.get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.text).toContain('<script src="/app.js" defer></script>');
    expect(res.text).not.toMatch(/https?:\/\//);
  });

  test('when the assets are asked for, then the script and the style sheet are served with their types', async () => {
    const js = await svc.http.get('/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.text).toContain('/api/v1/ws');
    const css = await svc.http.get('/styles.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.text).not.toMatch(/@import|url\(\s*['"]?https?:/);
  });

  test('when another path is asked for, then the API answers its usual problem, and docs and health are unchanged', async () => {
    const missing = await svc.http.get('/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('route_not_found');
    expect((await svc.http.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await svc.http.get('/openapi.yaml')).text).toMatch(/^openapi: 3\.1\.0/);
    expect((await svc.http.get('/api/v1/images')).status).toBe(401);
  });

  test('when the bundle was never built, then / says to run npm run build', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'dockhand-console-'));
    try {
      const res = await request(express().use(consoleRouter(empty))).get('/');
      expect(res.status).toBe(503);
      expect(res.text).toContain('npm run build');
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
