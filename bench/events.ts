import type { EngineSocket } from './lib/engine-socket';
import { sleep, summarize, wallMs, type Summary } from './lib/stats';
import { closeClients, openClients } from './lib/ws-clients';

export interface EventsRow {
  subscribers: number;
  events: number;
  ws: Summary;
  direct: Summary;
  /** Deliveries expected (tag events × subscribers) that never came. */
  missing: number;
}

const TIME_NANO = /"timeNano"\s*:\s*"?(\d+)/;
/** Only `tag` events name the tag (an `untag` names the image id): they are the ones timed. */
const TAG = /"(?:action|Action)"\s*:\s*"tag"/;
const NAME = /"name"\s*:\s*"bench\/ev:[0-9]+"/;

/** Engine time of a tag event line or frame → latency to `at` (ms); both clocks are this host's. */
const latencyOf = (text: string, at: number): number | undefined => {
  const t = TIME_NANO.exec(text);
  if (!t || !TAG.test(text) || !NAME.test(text)) return undefined;
  return at - Number(BigInt(t[1]) / 1000n) / 1000;
};

/**
 * Engine-emit → delivery: image `tag` events (each followed by its `untag`), spaced apart, seen by N WebSocket subscribers of the service
 * and by one direct `/events` reader on the engine socket at the same time.
 */
export async function runEvents(o: {
  engine: EngineSocket;
  wsUrl: string;
  token: string;
  baseImage: string;
  levels: number[];
  eventsPerLevel: number;
  gapMs: number;
  log: (s: string) => void;
}): Promise<EventsRow[]> {
  const rows: EventsRow[] = [];
  let tagNo = 0;
  for (const n of o.levels) {
    const wsLat: number[] = [];
    const directLat: number[] = [];
    let subscribed = 0;
    // The handler only notes the frame and the time: with 1,000 sockets in this one process, parsing here would
    // delay the next socket's reading and be counted as the service's latency.
    const received: { text: string; at: number }[] = [];
    const clients = await openClients(o.wsUrl, o.token, n, (text, at) => void received.push({ text, at }), wallMs);
    const countSubscribed = () => {
      subscribed = received.filter((r) => r.text.includes('"type":"subscribed"')).length;
    };
    for (const ws of clients) ws.send(JSON.stringify({ type: 'subscribe', id: 'ev', channel: 'events', filters: { type: ['image'], action: ['tag', 'untag'] } }));
    const deadline = Date.now() + 15000;
    while ((countSubscribed(), subscribed) < n && Date.now() < deadline) await sleep(20);
    const stopDirect = await o.engine.stream('/events?filters=' + encodeURIComponent(JSON.stringify({ type: ['image'] })), (line, at) => {
      const l = latencyOf(line, at);
      if (l !== undefined) directLat.push(l);
    }, wallMs);
    await sleep(200);
    let emitted = 0;
    for (let i = 0; i < o.eventsPerLevel; i++) {
      const tag = `${++tagNo}`;
      await o.engine.json('POST', `/images/${o.baseImage}/tag?repo=bench/ev&tag=${tag}`);
      await sleep(o.gapMs);
      await o.engine.json('DELETE', `/images/bench/ev:${tag}`);
      await sleep(o.gapMs);
      emitted++;
    }
    const delivered = () => received.filter((r) => TAG.test(r.text)).length;
    const until = Date.now() + 5000;
    while ((delivered() < emitted * n || directLat.length < emitted) && Date.now() < until) await sleep(50);
    for (const r of received) {
      const l = latencyOf(r.text, r.at);
      if (l !== undefined) wsLat.push(l);
    }
    stopDirect();
    await closeClients(clients);
    const row = { subscribers: n, events: emitted, ws: summarize(wsLat), direct: summarize(directLat), missing: emitted * n - wsLat.length };
    rows.push(row);
    o.log(`events n=${n}: ws p50 ${row.ws.p50.toFixed(2)} p99 ${row.ws.p99.toFixed(2)} / direct p50 ${row.direct.p50.toFixed(2)} p99 ${row.direct.p99.toFixed(2)} missing ${row.missing}`);
    await sleep(300);
  }
  return rows;
}
