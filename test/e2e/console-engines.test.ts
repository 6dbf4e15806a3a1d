import type { BrowserContext, Page } from 'playwright-core';
import { TOKENS, auth, startService, type TestService } from '../helpers/service';
import { launchChromium } from '../helpers/browser';
import { buildConsole } from '../helpers/web-console';
import { startPrivateEngine, type PrivateEngine } from '../../support/private-engine';

/**
 * The console with two real engines: the isolated test engine (`default`) and a private one (`edge-p`). The header
 * shows both with their state, the picker moves the panels to the chosen engine, the all-engines view lists every
 * engine's containers, and an engine that stops turns `down` in the header (its disconnected event, no reload) and is
 * named missing in the all-engines view.
 */
jest.setTimeout(120000);
const run = Math.random().toString(36).slice(2, 8);
const name = `console-edge-${run}`;

let svc: TestService;
let priv: PrivateEngine;
let browser: { context: BrowserContext; close(): Promise<void> };
let page: Page;
let created: string | undefined;
let stopped = false;

beforeAll(async () => {
  priv = await startPrivateEngine();
  await buildConsole();
  svc = await startService({ ENGINES: `edge-p=${priv.dockerHost}` });
  const res = await fetch(`${svc.baseUrl}/api/v1/engines/edge-p/containers`, {
    method: 'POST',
    headers: { ...auth('admin'), 'Content-Type': 'application/json' },
    body: JSON.stringify({ image: 'pe-busybox:1', name, cmd: ['sleep', '600'], labels: { 'dockhand.test.run': run } }),
  });
  expect(res.status).toBe(201);
  created = ((await res.json()) as { id: string }).id;
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.setDefaultTimeout(20000);
});

afterAll(async () => {
  await browser?.close();
  if (created && stopped) await priv.start().catch(() => undefined);
  if (created) {
    try {
      priv.cli(['rm', '-f', created]);
    } catch {
      // the engine's directory goes with destroy() below
    }
  }
  await svc?.close();
  await priv?.destroy();
});

test('when two engines are configured, then the header, picker and all-engines view follow them, and a stopped engine turns down', async () => {
  await page.goto(`${svc.baseUrl}/`);
  await page.getByLabel('API token').fill(TOKENS.admin);
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.locator('#who[data-role="admin"]').waitFor();
  await page.locator('#engine-list li[data-engine="default"][data-status="up"]').waitFor();
  await page.locator('#engine-list li[data-engine="edge-p"][data-status="up"]').waitFor();
  expect(await page.locator('#engine-list li[data-engine="edge-p"]').textContent()).toBe('edge-p: up');

  // On default, the private engine's container is not in the containers panel.
  await page.locator('#containers-table tbody tr').first().waitFor();
  expect(await page.locator(`#containers-table tr[data-container="${name}"]`).count()).toBe(0);

  // The all-engines view lists it with its engine.
  const fleetRow = page.locator(`#fleet tr[data-name="${name}"]`);
  await fleetRow.waitFor();
  expect(await fleetRow.getAttribute('data-engine')).toBe('edge-p');
  expect(await fleetRow.locator('td').nth(1).textContent()).toBe('edge-p');

  // Picking edge-p (the page reloads on it) shows its container; the choice is kept for the tab.
  await Promise.all([page.waitForEvent('load'), page.getByLabel('Engine', { exact: true }).selectOption('edge-p')]);
  await page.locator(`#containers-table tr[data-container="${name}"]`).waitFor();
  expect(await page.evaluate("sessionStorage.getItem('dockhand.engine')")).toBe('edge-p');
  expect(await page.locator('#engine-picker').inputValue()).toBe('edge-p');

  // Back on default, it is gone from the panel again.
  await Promise.all([page.waitForEvent('load'), page.getByLabel('Engine', { exact: true }).selectOption('default')]);
  await page.locator('#containers-table tbody tr').first().waitFor();
  expect(await page.locator(`#containers-table tr[data-container="${name}"]`).count()).toBe(0);

  // The private engine stops: the header says down without a reload, and the all-engines view names it missing.
  await page.locator('#engine-list li[data-engine="edge-p"][data-status="up"]').waitFor();
  stopped = true;
  await priv.stop();
  await page.locator('#engine-list li[data-engine="edge-p"][data-status="down"]').waitFor({ timeout: 60000 });
  expect(await page.locator('#engine-list li[data-engine="edge-p"]').textContent()).toBe('edge-p: down');
  await page.locator('#fleet').getByRole('button', { name: 'Refresh' }).click();
  await page.locator('#fleet .fleet-missing li[data-engine="edge-p"]').waitFor();
  expect(await page.locator(`#fleet tr[data-name="${name}"]`).count()).toBe(0);
});
