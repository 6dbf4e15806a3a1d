import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { containerRun, freePort, httpGet } from '../helpers/containers';
import { TOKENS, auth, startService, type TestService } from '../helpers/service';
import { launchChromium } from '../helpers/browser';
import { engine, removeImages } from '../helpers/engine-images';
import { seed, testEnv } from '../../support/test-env';
import { buildVariant, dockerCli, moveTag } from '../helpers/update-fixtures';
import { buildConsole } from '../helpers/web-console';

/** The web console's update badge and recreate, in headless Chromium against the real service and engine. */
jest.setTimeout(90_000);
const env = testEnv();
const ctr = containerRun('console-upd');
const repo = `upd/console-${ctr.id}`;
const at = (tag: string) => `${env.registry}/${repo}:${tag}`;
const name = ctr.name('web');

let svc: TestService;
let browser: { context: BrowserContext; close(): Promise<void> };
let page: Page;
let cfg: string;
let hostPort: number;
const pageErrors: string[] = [];
/** This file's own images (built on the seed's, so the seed image gets no RepoDigest of ours). */
const ids: string[] = [];

beforeAll(async () => {
  cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'dkh-console-upd-'));
  for (const [tag, from] of [
    ['a', seed.web139()],
    ['b', seed.web143()],
  ]) {
    await dockerCli(['pull', from], cfg);
    await buildVariant(from, at(tag), ctr.id, cfg);
    await dockerCli(['push', at(tag)], cfg);
    ids.push((await engine().getImage(at(tag)).inspect()).Id);
  }
  await moveTag(env.registry, repo, 'a', 'app');
  await removeImages(at('a'), at('b'));
  [svc, hostPort] = await Promise.all([buildConsole().then(() => startService({ RECREATE_SETTLE_MS: '1000' })), freePort()]);
  // A container on `app` (version 1.39), then a newer image behind the tag, pulled: the container is recreate_pending.
  expect(
    (
      await svc.http
        .post('/api/v1/images/pull?wait=true')
        .set(auth('operator'))
        .send({ image: at('app') })
    ).status,
  ).toBe(200);
  const created = await svc.http
    .post('/api/v1/containers')
    .set(auth('admin'))
    .send({ image: at('app'), name, labels: ctr.labels, ports: [{ containerPort: 80, hostPort }] });
  expect(created.status).toBe(201);
  await moveTag(env.registry, repo, 'b', 'app');
  expect(
    (
      await svc.http
        .post('/api/v1/images/pull?wait=true')
        .set(auth('operator'))
        .send({ image: at('app') })
    ).status,
  ).toBe(200);
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await ctr.cleanup();
  await svc?.close();
  await removeImages(at('app'), at('a'), at('b'), ...ids);
  fs.rmSync(cfg, { recursive: true, force: true });
});

test('when a container runs an older image than its tag, then it shows "recreate pending", and Recreate replaces it with live job progress', async () => {
  await page.goto(`${svc.baseUrl}/`);
  await page.getByLabel('API token').fill(TOKENS.operator);
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.locator('#who[data-role="operator"]').waitFor();
  const row = page.locator(`#containers-table tr[data-container="${name}"]`);
  await row.locator('.badge.update-available', { hasText: 'recreate pending' }).waitFor();
  expect(await httpGet(hostPort, 30)).toBe('seed web 1.39\n');

  await row.getByRole('button', { name: `Recreate ${name} on the newer image` }).click();
  const card = page.locator(`article.job[aria-label="recreate ${at('app')}"]`);
  await card.locator('.badge.job-succeeded').waitFor({ timeout: 60_000 });
  expect(await card.locator('.job-summary').textContent()).toMatch(/^(\d+)\/\1 steps · 100 %$/);
  expect(await httpGet(hostPort, 30)).toBe('seed web 1.43\n');
  await page.getByRole('button', { name: 'Refresh', exact: true }).first().click();
  await row.locator('.badge.update-available').waitFor({ state: 'detached' });

  // Check for updates runs the update_check job, shown like any job.
  await page.getByRole('button', { name: 'Check for updates' }).click();
  await page.locator('article.job[aria-label="update_check *"] .badge.job-succeeded').waitFor({ timeout: 60_000 });
  expect(pageErrors).toEqual([]);
});

test('when the registry moves the tag away from the local image and a check runs, then the images panel marks that tag "update available"', async () => {
  await moveTag(env.registry, repo, 'a', 'app');
  const checks = page.locator('article.job[aria-label="update_check *"] .badge.job-succeeded');
  const before = await checks.count();
  await page.getByRole('button', { name: 'Check for updates' }).click();
  for (let i = 0; i < 600 && (await checks.count()) <= before; i++) await page.waitForTimeout(100);
  expect(await checks.count()).toBeGreaterThan(before);
  await page.locator('#images').getByRole('button', { name: 'Refresh', exact: true }).click();
  const imageRow = page.locator(`#images tr[data-ref="${at('app')}"]`);
  await imageRow.locator('.badge.update-available', { hasText: 'update available' }).waitFor();
  // Only the moved tag is marked: the seed's own tags have no cached answer, so no badge.
  expect(await page.locator(`#images tr[data-ref="${seed.web143()}"] .badge.update-available`).count()).toBe(0);
  expect(pageErrors).toEqual([]);
});
