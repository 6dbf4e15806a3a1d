/**
 * The floor of the events benchmark: a bare `ws` server — no engine, no service, no auth — that sends one frame of
 * the size of an event frame to every client it holds when its parent (events.ts) says so. Forked under the
 * bench's tsx loader. Parent → child: {seq, sentAt} per event; child → parent: {port} once listening.
 */
import { WebSocketServer } from 'ws';

const PAD = 'x'.repeat(450);
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
wss.on('listening', () => process.send!({ port: (wss.address() as { port: number }).port }));
wss.on('connection', (ws) => {
  // The subscribers (subscriber-process.ts) wait for an answer to their subscribe frame.
  ws.on('message', () => ws.send('{"id":"ev","type":"subscribed","seq":0,"data":{}}'));
});
process.on('message', (m: { seq: number; sentAt: number }) => {
  const frame = `{"id":"ev","type":"event","seq":${m.seq},"data":{"sentAt":${m.sentAt},"pad":"${PAD}"}}`;
  for (const client of wss.clients) client.send(frame);
});
process.on('disconnect', () => process.exit(0));
