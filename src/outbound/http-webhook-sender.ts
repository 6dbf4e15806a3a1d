import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { LookupFunction } from 'node:net';
import { DomainError, isDomainError } from '../domain/errors';
import type { WebhookSender } from '../domain/webhooks/webhook';
import type { WebhookTargetPolicy } from '../domain/webhooks/target-policy';

/** Resolves a name to all its addresses (dns.lookup: what the OS resolver, /etc/hosts included, answers). */
export type Resolve = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolve: Resolve = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/**
 * Webhook POSTs over node:http(s). The host is checked against the policy, its name resolved once per attempt and
 * every address checked; the socket then connects to that checked address (the request's `lookup` answers it), so
 * a name cannot resolve to an allowed address for the check and a forbidden one for the connection. Redirects are
 * not followed (node:http never does); the answer's body is read and thrown away (at most 64 kB).
 */
export class HttpWebhookSender implements WebhookSender {
  constructor(
    private readonly policy: WebhookTargetPolicy,
    private readonly resolve: Resolve = systemResolve,
  ) {}

  async check(raw: string): Promise<void> {
    const url = this.policy.checkUrl(raw);
    await this.addressOf(url.hostname);
  }

  async post(raw: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number }> {
    const url = this.policy.checkUrl(raw);
    const target = await this.addressOf(url.hostname);
    const lookup: LookupFunction = (_host, opts, cb) => {
      if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
      else cb(null, target.address, target.family);
    };
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
          lookup,
          // No connection reuse: each attempt resolves and checks afresh.
          agent: false,
          timeout: timeoutMs,
        },
        (res) => {
          clearTimeout(timer);
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > 64 * 1024) res.destroy();
          });
          res.on('error', () => undefined);
          res.resume();
          resolve({ status: res.statusCode ?? 0 });
        },
      );
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body);
    });
  }

  /** The address to connect to: the literal itself, or the first of the name's addresses when none is forbidden. */
  private async addressOf(hostname: string): Promise<{ address: string; family: number }> {
    const bare = hostname.replace(/^\[|\]$/g, '');
    const family = net.isIP(bare);
    if (family !== 0) {
      this.policy.checkAddress(bare);
      return { address: bare, family };
    }
    let addresses: { address: string; family: number }[];
    try {
      addresses = await this.resolve(bare);
    } catch (err) {
      throw new DomainError('invalid_request', `${bare} could not be resolved: ${err instanceof Error ? err.message : String(err)}`, { host: bare });
    }
    if (addresses.length === 0) throw new DomainError('invalid_request', `${bare} has no address`, { host: bare });
    try {
      for (const a of addresses) this.policy.checkAddress(a.address);
    } catch (err) {
      if (isDomainError(err)) throw new DomainError('policy_denied', `${bare} resolves to a forbidden address: ${err.message}`, { host: bare });
      throw err;
    }
    return addresses[0];
  }
}
