import type { ContainerSummary } from '../../src/client/rest-client';
import type { Ctx } from './context';
import { fill, h } from './dom';
import { bytes, shortId } from './format';

const MAX_LINES = 2000;
const SAMPLES = 60;
const SVG = 'http://www.w3.org/2000/svg';

interface StatsData {
  cpuPercent: number;
  memoryUsage: number;
  memoryLimit: number;
  memoryPercent: number;
  pids: number;
  networkRxBytes: number;
  networkTxBytes: number;
}

/** An SVG line of the last samples, scaled to their own maximum (at least 1 %) so idle containers stay flat. */
function sparkline(values: number[], label: string): SVGSVGElement {
  const w = 240;
  const ht = 40;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${ht}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const max = Math.max(1, ...values);
  const step = w / (SAMPLES - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(ht - 2 - (v / max) * (ht - 4)).toFixed(1)}`).join(' ');
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points);
  svg.append(line);
  return svg;
}

/** The logs pane following a container live, and its stats with a CPU sparkline; one container at a time. */
export function livePane(section: HTMLElement, ctx: Ctx): { open(c: ContainerSummary): void } {
  let subs: { close(): void }[] = [];
  const heading = section.querySelector('h2') as HTMLElement;

  function stop(): void {
    for (const s of subs) s.close();
    subs = [];
  }

  function open(c: ContainerSummary): void {
    stop();
    const name = c.names[0] ?? shortId(c.id);
    heading.textContent = `Output of ${name}`;
    const follow = h('input', { type: 'checkbox', id: 'logs-follow', checked: true });
    const logs = h('pre', { id: 'logs', class: 'logs', role: 'log', 'aria-label': `Logs of ${name}`, tabindex: 0 });
    const logState = h('p', { class: 'muted small', id: 'logs-state', 'aria-live': 'polite' }, 'Connecting…');
    const statsText = h('p', { id: 'stats-text', class: 'small' }, 'Waiting for the first sample…');
    const graph = h('div', { id: 'stats-graph' });
    const close = h('button', { type: 'button', onclick: () => ((section.hidden = true), stop()) }, 'Close');
    section.replaceChildren(
      heading,
      h('div', { class: 'toolbar' }, h('span', {}, follow, ' ', h('label', { for: 'logs-follow' }, 'Follow (scroll to the newest line)')), close),
      h('div', { class: 'live-grid' }, h('div', {}, logState, logs), h('div', {}, h('h3', {}, 'CPU'), graph, statsText)),
    );
    section.hidden = false;
    section.scrollIntoView({ block: 'nearest' });
    const ws = ctx.session.ws;
    if (!ws) {
      fill(logState, 'Live streams are unavailable (no WebSocket).');
      return;
    }
    let lines = 0;
    subs.push(
      ws.subscribe(
        { channel: 'logs', container: c.id, tail: 200, ...ctx.session.wsEngine },
        {
          onFrame: (f) => {
            // After a reconnect the client subscribes again and the tail is replayed: start over, no duplicates.
            if (f.type === 'subscribed') {
              logs.replaceChildren();
              lines = 0;
              fill(logState, 'Following live.');
            }
            if (f.type !== 'log') return;
            const d = f.data as { stream: string; line: string };
            logs.append(h('span', { class: d.stream === 'stderr' ? 'stderr' : '' }, `${d.line}\n`));
            if (++lines > MAX_LINES) logs.firstChild?.remove();
            if (follow.checked) logs.scrollTop = logs.scrollHeight;
          },
          onEnd: (d) =>
            fill(logState, d.reason === 'container_stopped' ? 'The container stopped; the log ends here.' : `Stopped following (${d.reason}).`),
          onError: (e) => fill(logState, h('span', { class: 'error' }, `${e.code}: ${e.message}`)),
        },
      ),
    );
    const cpu: number[] = [];
    subs.push(
      ws.subscribe(
        { channel: 'stats', container: c.id, interval: 1, ...ctx.session.wsEngine },
        {
          onFrame: (f) => {
            if (f.type !== 'stats') return;
            const s = f.data as StatsData;
            cpu.push(s.cpuPercent);
            if (cpu.length > SAMPLES) cpu.shift();
            fill(graph, sparkline(cpu, `CPU of ${name} over the last ${cpu.length} seconds, now ${s.cpuPercent.toFixed(1)} %`));
            fill(
              statsText,
              `CPU ${s.cpuPercent.toFixed(1)} % · memory ${bytes(s.memoryUsage)} of ${bytes(s.memoryLimit)} (${s.memoryPercent.toFixed(1)} %) · ${s.pids} processes · net ↓${bytes(s.networkRxBytes)} ↑${bytes(s.networkTxBytes)}`,
            );
          },
          onEnd: (d) => statsText.append(` (stats ended: ${d.reason})`),
          onError: (e) => fill(statsText, h('span', { class: 'error' }, `${e.code}: ${e.message}`)),
        },
      ),
    );
  }
  return { open };
}
