import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { engine } from '../helpers/containers';
import { launchChromium } from '../helpers/browser';
import { TOKENS, startService, type TestService } from '../helpers/service';
import { seed } from '../../support/test-env';

/**
 * Swagger UI at /docs in a real headless Chromium, driving the real service and the isolated engine: the page a
 * newcomer opens first must load from this service alone, take a token and make real calls with it.
 */
jest.setTimeout(120000);
const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');

let svc: TestService;
let browser: { context: BrowserContext; close(): Promise<void> };
let page: Page;
const offOrigin: string[] = [];
const pageErrors: string[] = [];
/** The one failed request this file asks for: the call made before authorizing. */
let expectedFailures = 0;

/** The viewport (the whole page is very long), scrolled to what the step is about. */
async function shot(name: string, about?: Locator): Promise<void> {
  if (about) await about.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, `docs-${name}.png`) });
}

/**
 * Scrolls until `target` is in the page. Swagger UI (5.3x) virtualizes the operation list of a contract with this many
 * operations: only those near the viewport are in the DOM, as for a reader scrolling through it.
 */
async function reveal(target: Locator): Promise<void> {
  if ((await target.count()) > 0) return;
  await page.evaluate('window.scrollTo(0, 0)');
  for (let i = 0; i < 400 && (await target.count()) === 0; i++) {
    await page.evaluate('window.scrollBy(0, 600)');
    await page.waitForTimeout(50);
  }
}

/** An operation's block, found by its summary button (method and path), expanded. */
async function operation(method: string, route: string): Promise<Locator> {
  const summary = page.getByRole('button', { name: new RegExp(`^${method} ${route.replace(/[{}/]/g, '\\$&')} `) });
  await reveal(summary);
  const block = page.locator('.opblock').filter({ has: summary });
  if ((await summary.getAttribute('aria-expanded')) !== 'true') await summary.click();
  // tryItOutEnabled (given to the page by our swagger-ui-init.js) opens the form at once: no "Try it out" click.
  await block.getByRole('button', { name: 'Execute' }).waitFor();
  expect(await block.getByRole('button', { name: 'Try it out' }).count()).toBe(0);
  return block;
}

/** Clicks Execute and reads what Swagger UI shows as the server's answer. */
async function execute(block: Locator): Promise<{ status: string; body: string; url: string }> {
  const answer = block.getByRole('row').filter({ has: page.getByRole('heading', { name: 'Response body' }) });
  const clear = block.getByRole('button', { name: 'Clear' }); // the previous answer, if any
  if (await clear.isVisible()) await clear.click();
  await answer.waitFor({ state: 'detached' });
  await block.getByRole('button', { name: 'Execute' }).click();
  await answer.waitFor();
  const url = block.getByRole('heading', { name: 'Request URL' }).locator('xpath=following-sibling::*[1]');
  return {
    status: ((await answer.getByRole('cell').first().textContent()) ?? '').trim(),
    body: (await answer.getByRole('code').first().textContent()) ?? '',
    url: ((await url.textContent()) ?? '').trim(),
  };
}

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  [svc, browser] = await Promise.all([startService(), launchChromium()]);
  page = await browser.context.newPage();
  // Swagger UI renders the whole generated contract (engine-scoped paths beside the plain ones) on the page's one
  // thread: on a loaded machine a reload or a click waits seconds for it.
  page.setDefaultTimeout(30000);
  // Chromium's own CSP message does not say what was refused: the event does.
  await page.addInitScript(
    `document.addEventListener('securitypolicyviolation', (e) => console.error('CSP ' + e.violatedDirective + ' refused: ' + e.sample))`,
  );
  page.on('request', (r) => !r.url().startsWith(`${svc.baseUrl}/`) && !r.url().startsWith('data:') && offOrigin.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('response', (r) => r.status() >= 400 && !(r.status() === 401 && expectedFailures-- > 0) && pageErrors.push(`${r.status()} ${r.url()}`));
  // CSP violations are console errors too ("Refused to apply inline style ..."): none may happen.
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && pageErrors.push(m.text()));
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
});

test('when /docs/ is opened, then Swagger UI renders the 3.1 contract under a strict CSP', async () => {
  const res = await page.goto(`${svc.baseUrl}/docs/`);
  const csp = res?.headers()['content-security-policy'] ?? '';
  expect(csp).toMatch(/script-src 'self'(;|$)/);
  expect(csp).not.toContain("'unsafe-inline'");
  await page.getByRole('heading', { level: 1, name: /Dockhand/ }).waitFor();
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('OAS 3.1');
  await page.getByRole('button', { name: /^GET \/api\/v1\/images / }).waitFor();
  await shot('1-loaded');
});

test('when operations are listed, then each shows the least role it needs and a lock', async () => {
  const row = (name: RegExp) => page.locator('.opblock-summary').filter({ has: page.getByRole('button', { name }) });
  await reveal(row(/^GET \/api\/v1\/images /));
  expect(
    await row(/^GET \/api\/v1\/images /)
      .getByText('role: viewer')
      .count(),
  ).toBe(1);
  await reveal(row(/^POST \/api\/v1\/images\/prune /));
  expect(
    await row(/^POST \/api\/v1\/images\/prune /)
      .getByText('role: admin')
      .count(),
  ).toBe(1);
  await reveal(row(/^GET \/healthz /));
  expect(await row(/^GET \/healthz /).count()).toBe(1);
  expect(
    await row(/^GET \/healthz /)
      .getByText(/^role:/)
      .count(),
  ).toBe(0); // no token needed there
  await reveal(row(/^GET \/api\/v1\/images /));
  expect(
    await row(/^GET \/api\/v1\/images /)
      .getByRole('button', { name: 'authorization button unlocked' })
      .count(),
  ).toBe(1);
});

test('when a call is made before authorizing, then it is answered 401', async () => {
  const block = await operation('GET', '/api/v1/images');
  expectedFailures = 1;
  const { status, body } = await execute(block);
  expect(status).toBe('401');
  expect(body).toContain('"code": "unauthorized"');
  expect(expectedFailures).toBe(0);
});

test('when the admin token is entered in Authorize, then the operations lock and the authorization survives a reload', async () => {
  await page.getByRole('button', { name: 'Authorize', exact: true }).click();
  await page.getByRole('heading', { name: /bearerAuth/ }).waitFor();
  await page.getByRole('textbox', { name: 'auth-bearer-value' }).fill(TOKENS.admin);
  await page.getByRole('button', { name: 'Apply credentials' }).click();
  await page.getByRole('heading', { name: 'Authorized' }).waitFor();
  expect(await page.getByRole('button', { name: 'Remove authorization' }).isVisible()).toBe(true); // "Logout"
  await shot('2-authorized');
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  await page.getByRole('button', { name: 'authorization button locked' }).first().waitFor();

  // persistAuthorization: the token is kept in this origin's storage, so a reload stays authorized.
  await page.reload();
  await page.getByRole('button', { name: /^GET \/api\/v1\/images / }).waitFor();
  expect(await page.getByRole('button', { name: 'authorization button unlocked' }).count()).toBe(0);
});

test('when GET /api/v1/images is executed, then 200 lists the seed image', async () => {
  const block = await operation('GET', '/api/v1/images');
  let { status, body } = await execute(block);
  // The list's sizes come from /system/df, which the shared test engine serves to one client at a time: with the
  // other suites' services asking at once, the service's bounded retries can run out and it answers 502
  // engine_error (as it must). One more try, said out loud, rather than a flaky UI test.
  if (status.startsWith('502')) {
    pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((e) => !/^502 .*\/api\/v1\/images/.test(e)));
    ({ status, body } = await execute(block));
  }
  expect(status).toBe('200');
  expect(body).toContain(`"${seed.web143()}"`);
});

test('when GET /api/v1/images/{ref} is executed with a registry reference, then it is URL-encoded and 200 shows that image', async () => {
  const block = await operation('GET', '/api/v1/images/{ref}');
  await block.getByRole('textbox', { name: 'ref' }).fill(seed.web143());
  const { status, body, url } = await execute(block);
  expect(url).toBe(`${svc.baseUrl}/api/v1/images/${encodeURIComponent(seed.web143())}`);
  expect(status).toBe('200');
  const shown = JSON.parse(body) as { id: string; repoTags: string[] };
  expect(shown.id).toBe((await engine().getImage(seed.web143()).inspect()).Id);
  expect(shown.repoTags).toContain(seed.web143());
  await shot('3-inspect', block.getByRole('heading', { name: 'Response body' }));
});

test('when an engine-scoped operation is executed with its engine, then it is the generated /engines/{engine} path and answers as the plain one', async () => {
  const engines = await execute(await operation('GET', '/api/v1/engines'));
  expect(engines.status).toBe('200');
  expect(JSON.parse(engines.body).items[0]).toMatchObject({ name: 'default', status: 'up' });
  const block = await operation('GET', '/api/v1/engines/{engine}/images/{ref}');
  await block.getByRole('textbox', { name: 'engine' }).fill('default');
  await block.getByRole('textbox', { name: 'ref' }).fill(seed.web143());
  const { status, body, url } = await execute(block);
  expect(url).toBe(`${svc.baseUrl}/api/v1/engines/default/images/${encodeURIComponent(seed.web143())}`);
  expect(status).toBe('200');
  expect((JSON.parse(body) as { repoTags: string[] }).repoTags).toContain(seed.web143());
});

test('when POST /api/v1/images/prune is executed as a dry run with a JSON body, then 200 previews nothing to remove', async () => {
  const block = await operation('POST', '/api/v1/images/prune');
  await block
    .getByRole('row', { name: /^dryRun/ })
    .getByRole('combobox')
    .selectOption('true');
  await block.locator('textarea').fill('{"label":["dockhand.test=docs-none"]}');
  const { status, body, url } = await execute(block);
  expect(url).toBe(`${svc.baseUrl}/api/v1/images/prune?dryRun=true`);
  expect(status).toBe('200');
  expect(JSON.parse(body)).toMatchObject({ dryRun: true, untagged: [], deleted: [] });
  await shot('4-prune-dry-run', block.getByRole('heading', { name: 'Request URL' }));
});

test('when POST /api/v1/containers is opened, then the create policy and its settings are shown', async () => {
  const block = await operation('POST', '/api/v1/containers');
  const text = await block.innerText();
  for (const shown of [
    'no-new-privileges',
    'CREATE_PIDS_LIMIT',
    'CREATE_MIN_HOST_PORT',
    'CREATE_ALLOWED_HOST_IPS',
    'policy_denied',
    'bind_path_escapes',
  ]) {
    expect(text).toContain(shown);
  }
  await shot('create-policy', block.getByText('no-new-privileges').first());
});

test('the page made no request off its own origin and logged no error', () => {
  expect(offOrigin).toEqual([]);
  expect(pageErrors).toEqual([]);
});
