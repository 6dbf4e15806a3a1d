import { median, sleep } from './lib/stats';
import { closeClients, openClients } from './lib/ws-clients';

export interface IdleMemory {
  idleKb: number;
  withClientsKb: number;
  clients: number;
  perClientKb: number;
  afterCloseKb: number;
}

/** Median of a few readings over `ms`: one reading can land just before or after a GC. */
export async function steadyRss(rss: () => number, ms = 1000, readings = 5): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < readings; i++) {
    await sleep(ms / readings);
    xs.push(rss());
  }
  return median(xs);
}

/** RSS of the service idle, then holding `clients` idle WebSocket connections (connected, nothing subscribed). */
export async function runIdleMemory(o: {
  wsUrl: string;
  token: string;
  clients: number;
  rss: () => number;
  log: (s: string) => void;
}): Promise<IdleMemory> {
  const idleKb = await steadyRss(o.rss, 1500);
  const clients = await openClients(o.wsUrl, o.token, o.clients);
  const withClientsKb = await steadyRss(o.rss, 2000);
  await closeClients(clients);
  const afterCloseKb = await steadyRss(o.rss, 1500);
  const r = { idleKb, withClientsKb, clients: o.clients, perClientKb: (withClientsKb - idleKb) / o.clients, afterCloseKb };
  o.log(
    `memory: idle ${idleKb} kB, with ${o.clients} clients ${withClientsKb} kB (${r.perClientKb.toFixed(1)} kB each), after close ${afterCloseKb} kB`,
  );
  return r;
}
