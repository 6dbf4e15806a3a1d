import WebSocket from 'ws';
import { inPool } from './pool';

/**
 * Raw `ws` clients of /api/v1/ws: the bench counts bytes and times, so they do no more than they must. With several
 * URLs, client i connects to `url[i % url.length]`.
 */
export async function openClients(
  url: string | string[],
  token: string,
  count: number,
  onMessage?: (text: string, at: number, i: number) => void,
  now?: () => number,
): Promise<WebSocket[]> {
  const urls = Array.isArray(url) ? url : [url];
  const clients = new Array<WebSocket>(count);
  await inPool(count, 50, async (i) => {
    const ws = new WebSocket(urls[i % urls.length], ['dockhand.v1'], { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
    ws.on('error', () => undefined);
    if (onMessage && now) ws.on('message', (data) => onMessage((data as Buffer).toString(), now(), i));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    clients[i] = ws;
  });
  return clients;
}

export async function closeClients(clients: WebSocket[]): Promise<void> {
  await Promise.all(
    clients.map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (!ws || ws.readyState === WebSocket.CLOSED) return resolve();
          const t = setTimeout(() => (ws.terminate(), resolve()), 2000);
          ws.once('close', () => (clearTimeout(t), resolve()));
          ws.close(1000);
        }),
    ),
  );
}
