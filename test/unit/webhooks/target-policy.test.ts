import http from 'node:http';
import type net from 'node:net';
import { WebhookTargetPolicy } from '../../../src/domain/webhooks/target-policy';
import { HttpWebhookSender, type Resolve } from '../../../src/outbound/http-webhook-sender';

const policy = new WebhookTargetPolicy(
  [
    { host: 'hooks.example', port: 8443 },
    { host: 'ci.example' },
    { host: 'rebind.example' },
    { host: '127.0.0.1', port: 9000 },
    { host: '[::ffff:a9fe:a9fe]' },
    { host: '[64:ff9b::a9fe:a9fe]' },
    { host: 'engine.example', port: 2375 },
    { host: 'engine-b.example', port: 2376 },
  ],
  [
    { host: 'engine.example', port: 2375 },
    { host: 'engine-b.example', port: 2376 },
  ],
);
const code = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? 'thrown';
  }
};

describe('WebhookTargetPolicy', () => {
  test.each([
    ['https://hooks.example:8443/x', undefined],
    ['http://ci.example/x', undefined],
    ['https://ci.example/x', undefined],
    ['http://ci.example:8080/x', 'policy_denied'],
    ['http://hooks.example/x', 'policy_denied'],
    ['http://other.example/x', 'policy_denied'],
    ['http://127.0.0.1:9000/', undefined],
    ['http://127.0.0.1:9001/', 'policy_denied'],
    ['http://[::ffff:a9fe:a9fe]/', 'policy_denied'],
    ['http://[64:ff9b::a9fe:a9fe]/', 'policy_denied'],
    ['http://engine.example:2375/containers/json', 'policy_denied'],
    ['http://engine-b.example:2376/containers/json', 'policy_denied'],
    ['unix:///var/run/docker.sock', 'policy_denied'],
    ['ftp://ci.example/', 'policy_denied'],
    ['http://u:p@ci.example/', 'invalid_request'],
    ['not a url', 'invalid_request'],
  ])('when the URL is %s, then the answer is %s', (url, want) => {
    expect(code(() => policy.checkUrl(url))).toBe(want);
  });

  test.each([
    ['169.254.169.254', 'policy_denied'],
    ['169.254.1.1', 'policy_denied'],
    ['0.0.0.0', 'policy_denied'],
    ['100.100.100.200', 'policy_denied'],
    ['224.0.0.1', 'policy_denied'],
    ['fe80::1', 'policy_denied'],
    ['febf::1', 'policy_denied'],
    ['fd00:ec2::254', 'policy_denied'],
    ['::', 'policy_denied'],
    ['::ffff:169.254.169.254', 'policy_denied'],
    ['64:ff9b::169.254.169.254', 'policy_denied'],
    ['127.0.0.1', undefined],
    ['10.1.2.3', undefined],
    ['::1', undefined],
    ['fec0::1', undefined],
  ])('when an address is %s, then the answer is %s', (ip, want) => {
    expect(code(() => policy.checkAddress(ip))).toBe(want);
  });
});

describe('HttpWebhookSender', () => {
  let server: http.Server;
  let port: number;
  const seen: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(`${req.headers.host} ${req.url}`);
      if (req.url === '/redirect') res.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data' }).end();
      else res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const sender = (resolve: Resolve, host = 'rebind.example') =>
    new HttpWebhookSender(
      new WebhookTargetPolicy([
        { host, port },
        { host: '127.0.0.1', port },
      ]),
      resolve,
    );

  test('when an allowlisted name resolves to the metadata address, then nothing is sent, at create and at send', async () => {
    const s = sender(async () => [{ address: '169.254.169.254', family: 4 }]);
    await expect(s.check(`http://rebind.example:${port}/x`)).rejects.toMatchObject({ code: 'policy_denied' });
    await expect(s.post(`http://rebind.example:${port}/x`, {}, '{}', 1000)).rejects.toMatchObject({ code: 'policy_denied' });
    expect(seen).toEqual([]);
  });

  test('when a name resolves to an allowed and a forbidden address, then it is refused', async () => {
    const s = sender(async () => [
      { address: '127.0.0.1', family: 4 },
      { address: 'fe80::1', family: 6 },
    ]);
    await expect(s.post(`http://rebind.example:${port}/x`, {}, '{}', 1000)).rejects.toMatchObject({ code: 'policy_denied' });
  });

  test('when the name resolves first to loopback, then to the metadata address, then the second POST is refused (each attempt resolves afresh)', async () => {
    const answers = ['127.0.0.1', '169.254.169.254'];
    const s = sender(async () => [{ address: answers.shift() as string, family: 4 }]);
    await expect(s.post(`http://rebind.example:${port}/first`, {}, '{}', 1000)).resolves.toEqual({ status: 200 });
    await expect(s.post(`http://rebind.example:${port}/second`, {}, '{}', 1000)).rejects.toMatchObject({ code: 'policy_denied' });
    // The connection went to the checked address, with the name as the Host header.
    expect(seen).toEqual([`rebind.example:${port} /first`]);
  });

  test('when the receiver redirects, then the redirect is not followed and its status is the answer', async () => {
    const s = sender(async () => [{ address: '127.0.0.1', family: 4 }]);
    await expect(s.post(`http://127.0.0.1:${port}/redirect`, {}, '{}', 1000)).resolves.toEqual({ status: 302 });
    expect(seen.filter((x) => x.includes('meta-data'))).toEqual([]);
  });

  test('when a name does not resolve, then it is invalid at create', async () => {
    const s = sender(async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    });
    await expect(s.check(`http://rebind.example:${port}/x`)).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
