/**
 * The floor of the uncached hop (bench/hop.ts): the least any HTTP service in front of the engine does for an image
 * inspect — parse the request, one keep-alive request to the engine's unix socket, read the whole answer, parse
 * and re-encode its JSON, send it — and nothing else (no routing, token, validation, log, metrics or ETag).
 * Forked under the bench's tsx loader, a process of its own as the service is. Parent → child: {socketPath};
 * child → parent: {port} once listening.
 */
import http from 'node:http';

const PREFIX = '/api/v1/images/';

process.once('message', (m: { socketPath: string }) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (req.method !== 'GET' || !url.startsWith(PREFIX)) {
      res.writeHead(404).end();
      return;
    }
    const ref = decodeURIComponent(url.slice(PREFIX.length));
    const up = http.request({ socketPath: m.socketPath, path: `/images/${ref}/json`, agent }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const json = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(answer.statusCode ?? 502, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
        res.end(json);
      });
    });
    up.on('error', () => res.writeHead(502).end());
    up.end();
  });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
});
process.on('disconnect', () => process.exit(0));
