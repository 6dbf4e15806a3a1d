import fs from 'node:fs';
import { containerRun, engine, freePort, httpGet } from '../helpers/containers';
import { seed, testEnv } from '../../support/test-env';

// The test engine leaves the host's firewall alone (dockerd --iptables=false, no NAT rules) and still publishes
// ports on 127.0.0.1 through its userland proxy. scripts/test-env.sh `down` checks the rest: no bridge, no /run
// exec root and the same DOCKER* iptables rules as before `up`.
const run = containerRun('testenv');
afterAll(() => run.cleanup());

test('when the test dockerd runs, then it runs with --iptables=false and --ip-forward=false', () => {
  const pid = fs.readFileSync(testEnv().dockerdPidFile, 'utf8').trim();
  const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  expect(args).toEqual(expect.arrayContaining(['--iptables=false', '--ip-forward=false', '--ip-masq=false']));
});

test('when a container publishes a port on the test engine, then 127.0.0.1:<port> reaches it through the userland proxy', async () => {
  const port = await freePort();
  const c = await engine().createContainer({
    Image: seed.web143(),
    name: run.name('published'),
    Labels: run.labels,
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
  });
  await c.start();
  expect(await httpGet(port, 50)).toBe('seed web 1.43\n');
});
