import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { engine } from '../helpers/containers';
import { TOKENS, auth, startService, type TestService } from '../helpers/service';
import { launchChromium } from '../helpers/browser';
import { seed } from '../../support/test-env';
import { buildConsole } from '../helpers/web-console';

/**
 * The console's terminal pane in headless Chromium against the real service and engine: `sh` through an exec with a
 * TTY (typed keys reach the shell, its output reaches xterm.js, the exit code is shown, the write shows in sizeRw),
 * attaching to an `-it` container (closing only detaches), and no terminal for a viewer. The page keeps its strict
 * CSP: any violation (xterm.js injects <style> elements) fails the run.
 */
jest.setTimeout(60000);
const SHOTS = path.resolve(__dirname, '../../test-results/screenshots');
const run = Math.random().toString(36).slice(2, 8);
const labels = { 'dockhand.test': 'console-terminal', 'dockhand.test.run': run };
const shellName = `console-term-sh-${run}`;
const itName = `console-term-it-${run}`;

let svc: TestService;
let browser: { context: BrowserContext; close(): Promise<void> };
let page: Page;
const pageErrors: string[] = [];

/** What xterm.js shows: its DOM renderer's rows, one div per line (the screen, not the scrollback). */
const screenText = (p: Page): Promise<string> => p.locator('#term-host .xterm-rows').innerText();

/** Polls a locator's text (the page's CSP forbids the eval that waitForFunction's predicates need). */
async function waitForText(read: () => Promise<string>, pattern: RegExp, what: string, timeoutMs = 10000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < until) {
    text = await read().catch(() => '');
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: ${pattern} never appeared; last text:\n${text}`);
}

const createContainer = async (body: Record<string, unknown>): Promise<string> => {
  const res = await svc.http
    .post('/api/v1/containers')
    .set(auth('admin'))
    .send({ image: seed.base(), labels, ...body });
  expect(res.status).toBe(201);
  return res.body.id as string;
};

const sizeRw = async (id: string): Promise<number> => {
  const res = await svc.http.get('/api/v1/containers').query({ all: true, size: true }).set(auth('viewer'));
  expect(res.status).toBe(200);
  return (res.body.items as { id: string; sizeRw: number }[]).find((c) => c.id === id)!.sizeRw;
};

async function signIn(p: Page, token: string, role: string): Promise<void> {
  await p.goto(`${svc.baseUrl}/`);
  await p.getByLabel('API token').fill(token);
  await p.getByRole('button', { name: 'Use token' }).click();
  await p.locator(`#who[data-role="${role}"]`).waitFor();
  await p.locator('#ws-state[data-state="open"]').waitFor();
}

const terminalButton = (p: Page, name: string): Locator => p.getByRole('button', { name: `Terminal of ${name}`, exact: true });

let shellId: string;
let itId: string;

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  [svc] = await Promise.all([buildConsole().then(() => startService())]);
  [shellId, itId] = await Promise.all([
    createContainer({ name: shellName, cmd: ['sleep', '600'] }),
    createContainer({ name: itName, cmd: ['sh'], tty: true, openStdin: true }),
  ]);
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // A CSP refusal is logged as a console error ("Refused to apply inline style …"): none may happen.
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  page.on(
    'request',
    (r) =>
      !r.url().startsWith(svc.baseUrl) &&
      !r.url().startsWith('ws://127.0.0.1') &&
      !r.url().startsWith('data:') &&
      pageErrors.push(`off-origin ${r.url()}`),
  );
  await signIn(page, TOKENS.admin, 'admin');
});

afterAll(async () => {
  await browser?.close();
  const docker = engine();
  const mine = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dockhand.test.run=${run}`] }) });
  await Promise.all(
    mine.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  await svc?.close();
});

test('when an admin opens a shell and types, then the output shows in the terminal, exit shows the exit code, and the write grew sizeRw', async () => {
  const before = await sizeRw(shellId);
  await terminalButton(page, shellName).click();
  const pane = page.getByRole('region', { name: `Terminal of ${shellName}` });
  await pane.waitFor();
  await pane.getByRole('button', { name: 'Open shell (sh)' }).click();
  await waitForText(() => page.locator('#term-status').innerText(), /Shell open/, 'status');
  // Keys go where a person's would: xterm.js's own input element has the focus.
  expect(await page.evaluate('document.activeElement.classList.contains("xterm-helper-textarea")')).toBe(true);
  await waitForText(() => screenText(page), /^\/ #/m, 'the prompt');
  // xterm.js's theme rules apply (through constructed style sheets: the CSP refuses its inline <style> elements).
  expect(await page.evaluate('getComputedStyle(document.querySelector("#term-host .xterm-rows")).color')).toBe('rgb(230, 233, 237)');
  await page.keyboard.type('echo 0000 > /file.txt; echo done-$((1+1))');
  await page.keyboard.press('Enter');
  // done-2 appears only as output: the typed line shows the unexpanded $((1+1)).
  await waitForText(() => screenText(page), /^done-2\s*$/m, 'the command output');
  await page.screenshot({ path: path.join(SHOTS, 'console-terminal-1-shell.png'), fullPage: true });

  // The TTY has the pane's size from the start (not the engine's 80 columns), and follows the window.
  const ttySize = async (mark: string): Promise<[number, number]> => {
    await page.keyboard.type(`echo ${mark}-$(busybox stty size | tr ' ' x)`);
    await page.keyboard.press('Enter');
    const m = (await waitForText(() => screenText(page), new RegExp(`^${mark}-\\d+x\\d+`, 'm'), `the tty size (${mark})`)).match(
      new RegExp(`^${mark}-(\\d+)x(\\d+)`, 'm'),
    )!;
    return [Number(m[1]), Number(m[2])];
  };
  const [rows, cols] = await ttySize('wide');
  expect(cols).toBeGreaterThan(100);
  expect(rows).toBeGreaterThanOrEqual(20);
  await page.setViewportSize({ width: 1150, height: 900 }); // still two columns: the pane narrows
  await new Promise((r) => setTimeout(r, 300));
  const [, narrowCols] = await ttySize('narrow');
  expect(narrowCols).toBeLessThan(cols - 20);
  await page.setViewportSize({ width: 1440, height: 900 });

  await page.keyboard.type('exit 3');
  await page.keyboard.press('Enter');
  await waitForText(() => page.locator('#term-status').innerText(), /exited with exit code 3\b/, 'the exit code');
  expect(await page.evaluate('document.activeElement.id')).toBe('term-close'); // the way out has the focus
  await page.screenshot({ path: path.join(SHOTS, 'console-terminal-2-exited.png'), fullPage: true });

  const after = await sizeRw(shellId);
  expect(after).toBeGreaterThan(before);
  const exec = await engine()
    .getContainer(shellId)
    .exec({ Cmd: ['cat', '/file.txt'], AttachStdout: true });
  const out = await new Promise<string>((resolve, reject) =>
    exec.start({ hijack: true, stdin: false }, (err, stream) => {
      if (err || !stream) return reject(err instanceof Error ? err : new Error('exec start gave no stream'));
      let text = '';
      stream.on('data', (b: Buffer) => (text += b.toString('latin1')));
      stream.on('end', () => resolve(text));
    }),
  );
  expect(out).toContain('0000');

  await page.keyboard.press('Enter'); // activates the focused "Close terminal"
  await pane.waitFor({ state: 'hidden' });
  expect(await page.evaluate('document.activeElement.getAttribute("aria-label")')).toBe(`Terminal of ${shellName}`);
});

test('when an admin attaches to an -it container and closes the pane, then it typed into the main shell and the container keeps running', async () => {
  await page.reload();
  await page.locator('#ws-state[data-state="open"]').waitFor();
  await terminalButton(page, itName).click();
  const pane = page.getByRole('region', { name: `Terminal of ${itName}` });
  const attach = pane.getByRole('button', { name: 'Attach', exact: true });
  await waitForText(async () => String(await attach.isEnabled()), /true/, 'Attach enabled for an -it container');
  await attach.click();
  await waitForText(() => page.locator('#term-status').innerText(), /Attached to/, 'status');
  await page.keyboard.type('echo attached-$((2+3))');
  await page.keyboard.press('Enter');
  await waitForText(() => screenText(page), /^attached-5\s*$/m, 'output of the attached shell');
  // Ctrl+] leaves the terminal (Tab belongs to the shell) for the pane's buttons.
  await page.keyboard.press('Control+BracketRight');
  expect(await page.evaluate('document.activeElement.id')).toBe('term-close');
  await page.keyboard.press('Enter');
  await pane.waitFor({ state: 'hidden' });
  await new Promise((r) => setTimeout(r, 300));
  expect((await engine().getContainer(itId).inspect()).State.Running).toBe(true);

  // A container without -it offers the shell but not Attach.
  await terminalButton(page, shellName).click();
  await waitForText(() => page.locator('#term-attach-hint').innerText(), /not created with a terminal/, 'the attach hint');
  expect(await page.locator('#term-attach').isDisabled()).toBe(true);
  await page.locator('#term-close').click();
});

test('when a viewer signs in, then no container offers a terminal', async () => {
  const viewer = await browser.context.newPage();
  try {
    await signIn(viewer, TOKENS.viewer, 'viewer');
    await viewer.locator(`#containers-table tr[data-container="/${shellName}"], #containers-table tr[data-container="${shellName}"]`).waitFor();
    expect(await viewer.getByRole('button', { name: /^Terminal of / }).count()).toBe(0);
    expect(await viewer.locator('#terminal').isHidden()).toBe(true);
  } finally {
    await viewer.close();
  }
});

test('the page raised no errors, no CSP refusals and no off-origin requests', () => {
  expect(pageErrors).toEqual([]);
});
