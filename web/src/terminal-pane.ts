import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import type { ContainerSummary } from '../../src/client/rest-client';
import type { TerminalHandle, TerminalSpec } from '../../src/client/ws-client';
import type { Ctx } from './context';
import { fill, h } from './dom';
import { shortId } from './format';
import { describeError } from './session';
import { routeInlineStylesToConstructedSheets } from './xterm-styles';

/**
 * The terminal pane (admin): `docker exec -it <c> sh` through POST /containers/{id}/exec and the WebSocket `exec`
 * channel, or `docker attach` to a container created with tty + openStdin. xterm.js is bundled (no CDN); it renders
 * with the DOM renderer, whose theme rules web/src/xterm-styles.ts turns into constructed style sheets because the
 * page's CSP forbids inline <style>.
 *
 * Keyboard: inside the terminal every key goes to the program — Tab and Shift+Tab too (shell completion) — so
 * Ctrl+] (telnet's escape key) moves focus out to the pane's own buttons, which sit above the terminal. Escape is
 * left to the program (vi, less). When the session ends, input stops and focus moves to "Close terminal".
 */
const LEAVE_KEY = 'Ctrl+]';

interface EndData {
  reason: string;
  exitCode?: number | null;
}

const endText = (d: EndData): string => {
  const code = typeof d.exitCode === 'number' ? `exit code ${d.exitCode}` : 'no exit code';
  switch (d.reason) {
    case 'exited':
      return `The shell exited with ${code}.`;
    case 'container_stopped':
      return `The container stopped (${code}).`;
    case 'unsubscribed':
      return 'Detached.';
    case 'idle_timeout':
      return 'Ended after being idle too long.';
    case 'disconnected':
      return 'The connection dropped; the session is over.';
    default:
      return `Session ended (${d.reason}; ${code}).`;
  }
};

export function terminalPane(section: HTMLElement, ctx: Ctx): { open(c: ContainerSummary, opener?: HTMLElement): void } {
  const heading = section.querySelector('h2') as HTMLElement;
  let teardown: (() => void) | undefined;
  let opener: HTMLElement | undefined;

  function stop(): void {
    teardown?.();
    teardown = undefined;
  }

  /** Focus goes back to the button that opened the pane — or its twin, when events re-drew the container list. */
  function closePane(): void {
    stop();
    section.hidden = true;
    const label = opener?.getAttribute('aria-label');
    const twin = label
      ? [...document.querySelectorAll<HTMLElement>('button[aria-label]')].find((b) => b.getAttribute('aria-label') === label)
      : undefined;
    (opener?.isConnected ? opener : twin)?.focus();
  }

  function open(c: ContainerSummary, from?: HTMLElement): void {
    stop();
    opener = from;
    const name = c.names[0] ?? shortId(c.id);
    heading.textContent = `Terminal of ${name}`;
    const status = h('p', { id: 'term-status', class: 'small', role: 'status', 'aria-live': 'polite' }, 'Choose a session.');
    const shellBtn = h('button', { type: 'button', id: 'term-shell' }, 'Open shell (sh)');
    const attachBtn = h('button', { type: 'button', id: 'term-attach', disabled: true, 'aria-describedby': 'term-attach-hint' }, 'Attach');
    const attachHint = h('small', { id: 'term-attach-hint', class: 'muted' }, 'checking whether it was created with a terminal…');
    const closeBtn = h('button', { type: 'button', id: 'term-close', onclick: closePane }, 'Close terminal');
    const hint = h(
      'p',
      { id: 'term-keys', class: 'muted small' },
      `Keys go to the program, Tab included; ${LEAVE_KEY} moves focus back to these buttons. Closing ends a shell and only detaches from a container.`,
    );
    const host = h('div', { class: 'term-host', id: 'term-host' });
    section.replaceChildren(heading, h('div', { class: 'toolbar' }, shellBtn, attachBtn, attachHint, closeBtn), hint, status, host);
    section.hidden = false;
    section.scrollIntoView({ block: 'nearest' });
    shellBtn.focus();

    const running = c.state === 'running';
    if (!running) {
      shellBtn.disabled = true;
      fill(attachHint, '');
      fill(status, `The container is ${c.state}: start it to open a terminal.`);
    } else {
      ctx.session.api.inspectContainer(c.id).then(
        (d) => {
          const it = d.config.tty && d.config.openStdin;
          attachBtn.disabled = !it;
          fill(attachHint, it ? 'its main process has a terminal (-it)' : 'not created with a terminal and open stdin (-it)');
        },
        (err) => fill(attachHint, describeError(err)),
      );
    }

    let started = false;
    const begin = async (kind: 'exec' | 'attach') => {
      if (started) return;
      started = true;
      shellBtn.disabled = attachBtn.disabled = true;
      const ws = ctx.session.ws;
      if (!ws) {
        fill(status, h('span', { class: 'error' }, 'Terminals need the live connection (WebSocket), which is off.'));
        return;
      }
      routeInlineStylesToConstructedSheets();
      const term = new Terminal({
        cursorBlink: true,
        fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace',
        fontSize: 13,
        scrollback: 2000,
        theme: { background: '#101820', foreground: '#e6e9ed' },
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(host);
      term.textarea?.setAttribute('aria-describedby', 'term-keys');
      fit.fit();
      let handle: TerminalHandle | undefined;
      let ended = false;
      const finish = (text: string, error = false) => {
        if (ended) return;
        ended = true;
        term.options.disableStdin = true;
        term.options.cursorBlink = false;
        fill(status, error ? h('span', { class: 'error' }, text) : text, ' ', h('strong', {}, 'Close the terminal when done.'));
        closeBtn.focus();
      };
      // Ctrl+] leaves the terminal for the buttons; returning false keeps xterm from sending it (0x1d) to the program.
      term.attachCustomKeyEventHandler((ev) => {
        if (ev.type === 'keydown' && ev.ctrlKey && ev.key === ']') {
          closeBtn.focus();
          return false;
        }
        return true;
      });
      // Follows the pane's size (window resizes included): fit() resizes the terminal, onResize tells the engine.
      const observer = new ResizeObserver(() => fit.fit());
      term.onResize(({ cols, rows }) => handle?.resize(cols, rows));
      term.onData((keys) => handle?.write(keys));
      teardown = () => {
        observer.disconnect();
        handle?.close();
        term.dispose();
      };
      try {
        let spec: TerminalSpec;
        if (kind === 'exec') {
          fill(status, 'Starting sh…');
          const exec = await ctx.session.api.createExec(c.id, { cmd: ['sh'], tty: true });
          spec = { channel: 'exec', execId: exec.execId, cols: term.cols, rows: term.rows, encoding: 'base64', ...ctx.session.wsEngine };
        } else {
          spec = { channel: 'attach', container: c.id, cols: term.cols, rows: term.rows, encoding: 'base64', ...ctx.session.wsEngine };
        }
        if (ended || !section.contains(host)) return; // closed while the exec was being created
        // base64: raw bytes, so a UTF-8 character split across two frames is decoded whole by xterm.
        handle = ws.terminal(spec, {
          onOutput: (data) => term.write(data),
          onFrame: (f) => {
            if (f.type !== 'subscribed') return;
            fill(status, kind === 'exec' ? `Shell open in ${name}.` : `Attached to ${name}; closing detaches and leaves it running.`);
            term.focus();
          },
          onEnd: (d) => finish(endText(d)),
          onError: (e) => finish(`${e.code}: ${e.message}`, true),
        });
        observer.observe(host);
      } catch (err) {
        finish(describeError(err), true);
      }
    };
    shellBtn.addEventListener('click', () => void begin('exec'));
    attachBtn.addEventListener('click', () => void begin('attach'));
  }

  return { open };
}
