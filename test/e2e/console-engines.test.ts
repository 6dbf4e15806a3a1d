import Docker from 'dockerode';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { TOKENS, auth, startService, type TestService } from '../helpers/service';
import { launchChromium } from '../helpers/browser';
import { buildConsole } from '../helpers/web-console';
import { seed, testEnv } from '../../support/test-env';
import { startPrivateEngine, type PrivateEngine } from '../../support/private-engine';

/**
 * The console against the test environment's three real engines: `default`, `edge-b` (engine B, its own unix socket)
 * and `edge-c` (engine C, tcp://127.0.0.1 with mutual TLS), plus `gone`, configured at a socket nothing listens on.
 * The header shows each engine with its state in words, the picker moves the containers panel to the chosen engine,
 * the all-engines view lists every engine's containers with an Engine column and names the engine that could not
 * answer. A second service with a private engine proves that an engine that stops turns `down` in the header
 * without a reload (its disconnected event).
 */
jest.setTimeout(180000);
const run = Math.random().toString(36).slice(2, 8);
const labels = { 'dockhand.test.run': run };
const onDefault = `console-def-${run}`;
const onB = `console-edgeb-${run}`;

let svc: TestService;
let dir: string;
let browser: { context: BrowserContext; close(): Promise<void> };
let page: Page;
const pageErrors: string[] = [];

const engines = () => [new Docker({ socketPath: testEnv().socketPath }), new Docker({ socketPath: testEnv().engineB.socketPath })];

async function create(prefix: string, name: string): Promise<void> {
  const res = await fetch(`${svc.baseUrl}/api/v1${prefix}/containers`, {
    method: 'POST',
    headers: { ...auth('admin'), 'Content-Type': 'application/json' },
    body: JSON.stringify({ image: seed.web143(), name, labels, start: false }),
  });
  expect(res.status).toBe(201);
}

/** Picks an engine in the header; the page reloads on it. */
async function pick(name: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.getByLabel('Engine', { exact: true }).selectOption(name)]);
  await page.locator('#who[data-role="admin"]').waitFor();
}

const engineItem = (name: string, status?: string) =>
  page.locator(`#engine-list li[data-engine="${name}"]${status ? `[data-status="${status}"]` : ''}`);
const panelRow = (name: string) => page.locator(`#containers-table tr[data-container="${name}"]`);
const fleetRow = (name: string) => page.locator(`#fleet tr[data-name="${name}"]`);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-engines-'));
  const file = path.join(dir, 'engines.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ engines: [{ name: 'edge-c', host: testEnv().engineC.dockerHost, tlsCertPath: testEnv().engineC.tlsDir }] }),
  );
  await buildConsole();
  svc = await startService({
    ENGINES: `edge-b=${testEnv().engineB.dockerHost},gone=unix://${path.join(dir, 'nothing-listens.sock')}`,
    ENGINES_FILE: file,
  });
  await create('', onDefault);
  await create('/engines/edge-b', onB);
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.setDefaultTimeout(20000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await svc?.close();
  for (const docker of engines()) {
    for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dockhand.test.run=${run}`] }) })) {
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('when engines default, B, C and an unreachable one are configured, then the header shows each state, the picker moves the containers panel, and the all-engines view has the engine column and names the missing engine', async () => {
  await page.goto(`${svc.baseUrl}/`);
  await page.getByLabel('API token').fill(TOKENS.admin);
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.locator('#who[data-role="admin"]').waitFor();

  // The header: every engine with its state in words.
  // (On a loaded machine an engine's first probe may miss its 2 s bound: the header reads the list again while one is down.)
  for (const name of ['default', 'edge-b', 'edge-c']) {
    await engineItem(name, 'up').waitFor({ timeout: 45000 });
    expect(await engineItem(name).textContent()).toBe(`${name}: up`);
  }
  await engineItem('gone', 'down').waitFor();
  expect(await engineItem('gone').textContent()).toBe('gone: down');
  expect(await page.locator('#engine-picker option').allTextContents()).toEqual(['default', 'edge-b', 'gone', 'edge-c']);
  expect(await page.locator('#engine-picker').inputValue()).toBe('default');

  // On default: its own container is in the containers panel, engine B's is not.
  await panelRow(onDefault).waitFor();
  expect(await panelRow(onB).count()).toBe(0);

  // The all-engines view: both containers, each with its engine in the Engine column; `gone` is named missing.
  expect(await page.locator('#fleet thead th').allTextContents()).toEqual(['Name', 'Engine', 'Image', 'State', 'Status']);
  await fleetRow(onB).waitFor();
  expect(await fleetRow(onB).getAttribute('data-engine')).toBe('edge-b');
  expect(await fleetRow(onB).locator('td').nth(1).textContent()).toBe('edge-b');
  expect(await fleetRow(onDefault).locator('td').nth(1).textContent()).toBe('default');
  const missing = page.locator('#fleet .fleet-missing li');
  await missing.first().waitFor();
  expect(await missing.evaluateAll((els) => els.map((e) => e.getAttribute('data-engine')))).toEqual(['gone']);
  expect(await missing.first().textContent()).toMatch(/^gone — \w+: ./);

  // Picking edge-b (the page reloads on it): its container is in the panel, default's is not; the choice is kept for the tab.
  await pick('edge-b');
  await panelRow(onB).waitFor();
  expect(await panelRow(onDefault).count()).toBe(0);
  expect(await page.evaluate("sessionStorage.getItem('dockhand.engine')")).toBe('edge-b');
  expect(await page.locator('#engine-picker').inputValue()).toBe('edge-b');
  // On edge-c (mutual TLS) the panel lists that engine's containers: neither of ours.
  await pick('edge-c');
  await page.locator('#containers p.muted.small', { hasText: /^\d+ container\(s\)/ }).waitFor();
  expect(await panelRow(onB).count()).toBe(0);
  expect(await panelRow(onDefault).count()).toBe(0);
  expect(await page.locator('#engine-picker').inputValue()).toBe('edge-c');

  // Back on default, engine B's container is gone from the panel again.
  await pick('default');
  await panelRow(onDefault).waitFor();
  expect(await panelRow(onB).count()).toBe(0);
  expect(await page.evaluate("sessionStorage.getItem('dockhand.engine')")).toBeNull();
  expect(pageErrors).toEqual([]);
});

describe('an engine that stops', () => {
  let priv: PrivateEngine;
  let svc2: TestService;
  let page2: Page;

  beforeAll(async () => {
    priv = await startPrivateEngine();
    svc2 = await startService({ ENGINES: `edge-p=${priv.dockerHost}` });
    page2 = await browser.context.newPage();
    page2.setDefaultTimeout(20000);
  }, 120000);

  afterAll(async () => {
    await page2?.close();
    await svc2?.close();
    await priv?.destroy();
  });

  test('when a configured engine stops, then the header turns it down without a reload and the all-engines view names it missing', async () => {
    await page2.goto(`${svc2.baseUrl}/`);
    await page2.getByLabel('API token').fill(TOKENS.admin);
    await page2.getByRole('button', { name: 'Use token' }).click();
    await page2.locator('#engine-list li[data-engine="edge-p"][data-status="up"]').waitFor();
    await page2.locator('#ws-state[data-state="open"]').waitFor();
    await page2.evaluate('window.__notReloaded = true');

    await priv.stop();
    await page2.locator('#engine-list li[data-engine="edge-p"][data-status="down"]').waitFor({ timeout: 60000 });
    expect(await page2.locator('#engine-list li[data-engine="edge-p"]').textContent()).toBe('edge-p: down');
    expect(await page2.evaluate('window.__notReloaded')).toBe(true);
    await page2.locator('#fleet').getByRole('button', { name: 'Refresh' }).click();
    await page2.locator('#fleet .fleet-missing li[data-engine="edge-p"]').waitFor();
    // The other engine stays up. One of its probes may miss the 2 s bound on a loaded machine (the last CI run showed
    // it down here once); the header reads the list again every 10 s while any engine is down, so it must come back
    // without a reload. If it does not, the failure says why the service called it down.
    const onDefault = page2.locator('#engine-list li[data-engine="default"]');
    await page2
      .locator('#engine-list li[data-engine="default"][data-status="up"]')
      .waitFor({ timeout: 15000 })
      .catch(async () => {
        throw new Error(`default stayed ${await onDefault.getAttribute('data-status')}: ${await onDefault.getAttribute('title')}`);
      });
    expect(await onDefault.textContent()).toBe('default: up');
    expect(await page2.evaluate('window.__notReloaded')).toBe(true);
  });
});
