import type { BrowserContext, Page } from 'playwright-core';
import { TOKENS, auth, startService, type TestService } from '../helpers/service';
import { launchChromium } from '../helpers/browser';
import { buildConsole } from '../helpers/web-console';
import { testEnv } from '../../support/test-env';
import { startTwoNodeSwarm, type TwoNodeSwarm } from '../../support/two-node-swarm';

/**
 * The console's Services and Nodes panes in headless Chromium, on a real 2-node swarm formed through the API (na
 * manager, nb worker: support/two-node-swarm.ts, netns prefix dkh6e, subnets 10.232.20-21). A person scales a
 * service and sees the replica bar reach 3/3, updates its image and watches the job's bar reach 100 % without ever
 * going back, reads log lines naming each task and node, drains the worker and makes it active again; a viewer
 * sees the same panes without the buttons that change anything.
 */
jest.setTimeout(300000);

const REG = testEnv().registry;
const WEB1 = `${REG}/seed/web:1.39`;
const WEB2 = `${REG}/seed/web:1.43`;
const A = '/api/v1/engines/na/swarm';
/** One task at a time, new before old, judged after 1 s; tasks stop within 300 ms (their PID 1 ignores SIGTERM). */
const FAST = {
  updateConfig: { parallelism: 1, delayMs: 0, order: 'start-first', monitorMs: 1000, failureAction: 'rollback', maxFailureRatio: 0 },
  rollbackConfig: { parallelism: 0, delayMs: 0, order: 'stop-first', monitorMs: 1000, failureAction: 'pause' },
  stopGracePeriodMs: 300,
};

let nodes: TwoNodeSwarm;
let svc: TestService;
let browser: { context: BrowserContext; close(): Promise<void> };
let page: Page;
const pageErrors: string[] = [];

const serviceRow = (p: Page, name: string) => p.locator(`#services-table tr[data-service="${name}"]`);
const nodeRow = (p: Page, engine: string) => p.locator(`#nodes-table tr[data-engine="${engine}"]`);

async function signIn(p: Page, role: 'admin' | 'viewer'): Promise<void> {
  await p.goto(`${svc.baseUrl}/`);
  await p.getByLabel('API token').fill(TOKENS[role]);
  await p.getByRole('button', { name: 'Use token' }).click();
  await p.locator(`#who[data-role="${role}"]`).waitFor();
}

/** Picks an engine in the header; the page reloads on it. */
async function pick(p: Page, name: string, role: 'admin' | 'viewer'): Promise<void> {
  await Promise.all([p.waitForEvent('load'), p.getByLabel('Engine', { exact: true }).selectOption(name)]);
  await p.locator(`#who[data-role="${role}"]`).waitFor();
}

/**
 * Records the aria-valuenow of a service's job bar on every change the page makes to it, in `window.__percents`
 * (a script as text: this test's TypeScript has no DOM types).
 */
/** Records the percents a job's bar shows, leaving out the bar of `previousJob` (still shown until the new job's). */
async function recordJobPercents(p: Page, name: string, previousJob: string | null): Promise<void> {
  const notPrevious = previousJob === null ? '' : `:not([data-job="${previousJob}"])`;
  await p.evaluate(`(() => {
    window.__percents = [];
    const table = document.getElementById('services-table');
    const read = () => {
      const bar = table.querySelector('tr[data-service="${name}"] .service-job${notPrevious} [role="progressbar"]');
      const v = bar && bar.getAttribute('aria-valuenow');
      if (v !== null && window.__percents[window.__percents.length - 1] !== Number(v)) window.__percents.push(Number(v));
    };
    new MutationObserver(read).observe(table, { subtree: true, childList: true, attributes: true });
  })()`);
}

beforeAll(async () => {
  await buildConsole();
  nodes = await startTwoNodeSwarm({ prefix: 'dkh6e', subnet: 20, registryPort: Number(REG.split(':')[1]) });
  svc = await startService({ ENGINES: nodes.engines() });
  expect((await svc.http.post(`${A}/init`).set(auth('admin')).send({ advertiseAddr: nodes.managerAddr })).status).toBe(201);
  const join = await svc.http.post('/api/v1/engines/nb/swarm/join').set(auth('admin')).send({ manager: 'na', advertiseAddr: nodes.workerAddr });
  expect(join.status).toBe(200);
  const created = await svc.http
    .post(`${A}/services`)
    .set(auth('operator'))
    .send({ name: 'web', image: WEB1, replicas: 2, command: ['/bin/sh', '-c', 'echo "hello from $(hostname)"; exec sleep 3600'], ...FAST });
  expect(created.status).toBe(201);
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.setDefaultTimeout(60000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/^Failed to load resource/.test(m.text()) && pageErrors.push(m.text()));
});

afterAll(async () => {
  await browser?.close();
  if (svc) await svc.http.delete(`${A}/services/web`).set(auth('operator'));
  await svc?.close();
  await nodes?.destroy();
});

test('when the engine is not in a swarm, then the Services pane says so and the Nodes pane is hidden', async () => {
  await signIn(page, 'admin');
  const notice = page.locator('#swarm-notice[data-code="swarm_inactive"]');
  await notice.waitFor();
  expect(await notice.textContent()).toBe('Engine default is not part of a swarm.');
  expect(await page.locator('#nodes').isHidden()).toBe(true);
  expect(await page.locator('#services-table').count()).toBe(0);
});

test('when a manager engine is picked, then its service shows 2/2; scaled to 3 the bar reaches 3/3 through a job', async () => {
  await pick(page, 'na', 'admin');
  const notice = page.locator('#swarm-notice', { hasText: /^Swarm / });
  await notice.waitFor();
  expect(await notice.textContent()).toMatch(/^Swarm [0-9a-z]{12}: 2 node\(s\) \(1 manager, 1 worker\)/);
  const row = serviceRow(page, 'web');
  await row.locator('.replica-count', { hasText: /^2\/2$/ }).waitFor();
  // Cells after the row header (the name): image with its pinned digest, mode.
  expect(await row.locator('td').nth(0).textContent()).toMatch(/seed\/web:1\.39sha256:[0-9a-f]{12}$/);
  expect(await row.locator('td').nth(0).getAttribute('title')).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(await row.locator('td').nth(1).textContent()).toBe('replicated');
  const replicas = row.getByRole('progressbar', { name: 'Replicas of web' });
  expect(await replicas.getAttribute('aria-valuenow')).toBe('2');
  expect(await replicas.getAttribute('aria-valuetext')).toBe('2 of 2 tasks running');

  await page.getByRole('button', { name: 'Scale web', exact: true }).click();
  await page.locator('#modal').getByLabel('Replicas').fill('3');
  await page.locator('#modal').getByRole('button', { name: 'Scale', exact: true }).click();
  await row.locator('.service-job[data-state="succeeded"]').waitFor({ timeout: 120000 });
  expect(await row.locator('.service-job .job-head').textContent()).toBe('Scale jobsucceeded');
  expect(await row.getByRole('progressbar', { name: 'Scale progress of web' }).getAttribute('aria-valuenow')).toBe('100');
  await row.locator('.replica-count', { hasText: /^3\/3$/ }).waitFor();
  expect(await replicas.getAttribute('aria-valuemax')).toBe('3');
  const running = (await svc.http.get(`${A}/services/web/tasks`).set(auth('viewer'))).body.filter(
    (t: { state: string; desiredState: string }) => t.state === 'running' && t.desiredState === 'running',
  );
  expect(running).toHaveLength(3);
});

test('when the image is updated, then the live bar only goes forward to 100 %, the job succeeds and the row shows the new image', async () => {
  const row = serviceRow(page, 'web');
  const scaleJob = await row.locator('.service-job').getAttribute('data-job');
  await recordJobPercents(page, 'web', scaleJob);
  await page.getByRole('button', { name: 'Update image of web', exact: true }).click();
  const image = page.locator('#modal').getByLabel(/^Image/);
  expect(await image.inputValue()).toBe(WEB1);
  await image.fill(WEB2);
  await page.locator('#modal').getByRole('button', { name: 'Update', exact: true }).click();
  // The scale job's bar gives way to the update job's at once.
  await row.locator(`.service-job:not([data-job="${scaleJob}"])`).waitFor();
  expect(await row.locator('.service-job').count()).toBe(1);
  const job = row.locator(`.service-job[data-state="succeeded"]:not([data-job="${scaleJob}"])`);
  await job.waitFor({ timeout: 180000 });
  expect(await row.getByRole('progressbar', { name: 'Update progress of web' }).getAttribute('aria-valuenow')).toBe('100');
  expect(await job.locator('.job-summary').textContent()).toMatch(/^100 % · 3\/3 updated · 3\/3 running/);
  const percents = await page.evaluate<number[]>('window.__percents');
  console.log(`update bar values seen: ${percents.join(' ')}`);
  expect(percents.length).toBeGreaterThan(1);
  expect(percents).toEqual([...percents].sort((a, b) => a - b));
  expect(percents[percents.length - 1]).toBe(100);
  await row.locator('td', { hasText: 'seed/web:1.43' }).waitFor();
  await row.locator('.replica-count', { hasText: /^3\/3$/ }).waitFor();
  expect(await row.locator('.update-cell .badge').first().textContent()).toBe('completed');
  expect(await page.locator('#announce').textContent()).toBe('Update of web succeeded');
});

test('when a rollback is asked, then its job succeeds and the previous image runs again', async () => {
  const row = serviceRow(page, 'web');
  const updateJob = await row.locator('.service-job').getAttribute('data-job');
  await page.getByRole('button', { name: 'Roll back web', exact: true }).click();
  await row.locator(`.service-job[data-state="succeeded"]:not([data-job="${updateJob}"])`).waitFor({ timeout: 180000 });
  expect(await row.getByRole('progressbar', { name: 'Rollback progress of web' }).getAttribute('aria-valuenow')).toBe('100');
  await row.locator('td', { hasText: 'seed/web:1.39' }).waitFor();
  await row.locator('.replica-count', { hasText: /^3\/3$/ }).waitFor();
  expect((await svc.http.get(`${A}/services/web`).set(auth('viewer'))).body.image).toMatch(/seed\/web:1\.39@sha256:/);
});

test('when the logs are opened, then each line names its task and the engine of its node, from both nodes', async () => {
  await page.getByRole('button', { name: 'Logs of web', exact: true }).click();
  const lines = page.locator('#drawer .service-logs li');
  // Three current tasks (and the replaced ones the engine still keeps) each said hello once.
  await lines.nth(2).waitFor();
  const texts = await lines.allTextContents();
  for (const t of texts) expect(t).toMatch(/^\d\d:\d\d:\d\d task [0-9a-z]{12} on n[ab] hello from [0-9a-f]{12}$/);
  const engines = await lines.evaluateAll((els) => els.map((e) => e.getAttribute('data-engine')));
  expect(new Set(engines)).toEqual(new Set(['na', 'nb']));
  await page.locator('#drawer').getByRole('button', { name: 'Close' }).click();
});

test('when the worker is drained in the Nodes pane, then its availability turns drain and its tasks move; activated, it is active again', async () => {
  const worker = nodeRow(page, 'nb');
  await worker.waitFor();
  expect(await worker.locator('td').nth(0).textContent()).toBe('worker');
  expect(await nodeRow(page, 'na').locator('td').nth(0).textContent()).toBe('manager leader');
  expect(await worker.locator('td').nth(1).textContent()).toBe('active');
  await page.getByRole('button', { name: 'Drain node nb', exact: true }).click();
  await worker.locator('.badge.avail-drain').waitFor();
  expect(await page.locator('#announce').textContent()).toBe('Node nb drained: its tasks move to other nodes');
  const moved = async () => {
    const tasks = (await svc.http.get(`${A}/services/web/tasks`).set(auth('viewer'))).body as {
      engine: string;
      state: string;
      desiredState: string;
    }[];
    const running = tasks.filter((t) => t.state === 'running' && t.desiredState === 'running');
    return running.length === 3 && running.every((t) => t.engine === 'na');
  };
  const deadline = Date.now() + 90000;
  while (!(await moved())) {
    if (Date.now() > deadline) throw new Error('tasks did not leave the drained node');
    await new Promise((r) => setTimeout(r, 500));
  }
  await page.locator('#services').getByRole('button', { name: 'Refresh' }).click();
  await serviceRow(page, 'web')
    .locator('.replica-count', { hasText: /^3\/3$/ })
    .waitFor();

  await page.getByRole('button', { name: 'Activate node nb', exact: true }).click();
  await worker.locator('.badge.avail-active').waitFor();
  expect(await page.locator('#announce').textContent()).toBe('Node nb is active');
  expect(await page.getByRole('button', { name: 'Drain node nb', exact: true }).count()).toBe(1);
});

test('when a viewer opens the manager, then the panes are read-only: no scale, update, rollback, remove or drain, but logs', async () => {
  const viewer = await browser.context.newPage();
  try {
    viewer.setDefaultTimeout(60000);
    await signIn(viewer, 'viewer');
    await pick(viewer, 'na', 'viewer');
    const row = serviceRow(viewer, 'web');
    await row.locator('.replica-count').waitFor();
    expect(await row.locator('td.actions button').allTextContents()).toEqual(['Logs']);
    await nodeRow(viewer, 'nb').waitFor();
    expect(await viewer.locator('#nodes-table td.actions button').count()).toBe(0);
    expect(await viewer.locator('#nodes').textContent()).toContain('Draining a node needs the admin role.');
  } finally {
    await viewer.close();
  }
});

test('when the service is removed from its pane, then its row goes and the swarm no longer has it', async () => {
  await page.getByRole('button', { name: 'Remove web', exact: true }).click();
  await page.locator('#modal').getByRole('button', { name: 'Remove', exact: true }).click();
  await serviceRow(page, 'web').waitFor({ state: 'detached' });
  expect((await svc.http.get(`${A}/services/web`).set(auth('viewer'))).status).toBe(404);
  expect(pageErrors).toEqual([]);
});
