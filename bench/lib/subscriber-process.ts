/**
 * The WebSocket subscribers of the events benchmark, in a child process of their own (forked by events.ts), so
 * reading 1,000 sockets does not run on the bench's own event loop beside the direct `/events` reader.
 * Parent → child: {url, token, count, filters}, later 'stop'. Child → parent: 'subscribed', then the frames
 * (text and arrival time on this host's wall clock) once stopped.
 */
import { wallMs } from './stats';
import { closeClients, openClients } from './ws-clients';

interface Start {
  url: string | string[];
  token: string;
  count: number;
  filters: unknown;
}

const send = (m: unknown) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

process.once('message', (start: Start) => {
  void (async () => {
    // The handler only notes the frame and the time: parsing waits until the end, off the reading path.
    const received: { text: string; at: number }[] = [];
    const clients = await openClients(start.url, start.token, start.count, (text, at) => void received.push({ text, at }), wallMs);
    for (const ws of clients) ws.send(JSON.stringify({ type: 'subscribe', id: 'ev', channel: 'events', filters: start.filters }));
    const deadline = Date.now() + 15000;
    while (received.filter((r) => r.text.includes('"type":"subscribed"')).length < start.count && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    process.once('message', () => {
      void (async () => {
        await send({ frames: received });
        await closeClients(clients);
        process.exit(0);
      })();
    });
    // Every subscription must be in: a refused one (a stream cap, a ticket limit) would make the figure one of fewer
    // subscribers than the bench says.
    const ok = received.filter((r) => r.text.includes('"type":"subscribed"')).length;
    if (ok < start.count) {
      const refused = received.find((r) => r.text.includes('"type":"error"'))?.text ?? 'none answered';
      await send({ error: `${ok} of ${start.count} subscriptions answered subscribed; first refusal: ${refused.slice(0, 300)}` });
      process.exit(1);
    }
    await send('subscribed');
  })();
});
