import type net from 'node:net';
import pino from 'pino';
import { buildApp } from '../../../src/app';
import { startServer, type RunningServer } from '../../../src/server';
import { wire, type Wired } from '../../../src/wiring';
import { buildWsGateway } from '../../../src/ws/build-gateway';
import type { WsGateway } from '../../../src/ws/gateway';
import { testConfig } from '../../helpers/service';
import { connectWs } from '../../helpers/ws';

let services: Wired;
let gateway: WsGateway;
let server: RunningServer;
let url: string;

beforeAll(async () => {
  const config = testConfig();
  services = wire(config, pino({ level: 'silent' }));
  // The same gateway as production, with a fast heartbeat so a dead peer is found within a second.
  gateway = buildWsGateway({ ...services, tickets: services.wsTickets, allowedOrigins: config.allowedOrigins }, { heartbeatMs: 150 });
  server = await startServer(buildApp(services), 0, '127.0.0.1', { '/api/v1/ws': gateway });
  url = `ws://127.0.0.1:${server.port}/api/v1/ws`;
});
afterAll(async () => {
  await server.close();
  await services.close();
});

test('when a peer stops answering pings, then it is terminated while a live peer stays connected', async () => {
  const live = await connectWs(url, 'viewer');
  const dead = await connectWs(url, 'viewer');
  expect(gateway.connectionCount).toBe(2);
  (dead.ws as unknown as { _socket: net.Socket })._socket.pause(); // reads nothing: no pong
  for (let i = 0; i < 60 && gateway.connectionCount > 1; i++) await new Promise((r) => setTimeout(r, 50));
  expect(gateway.connectionCount).toBe(1);
  await new Promise((r) => setTimeout(r, 400)); // several more heartbeats
  expect(live.ws.readyState).toBe(live.ws.OPEN);
  live.send({ type: 'subscribe', id: 'e', channel: 'events' });
  expect((await live.waitFor((f) => f.id === 'e')).type).toBe('subscribed');
  live.ws.terminate();
  dead.ws.terminate();
});
