import net from 'node:net';
import { DomainError } from '../errors';

/** Addresses no webhook may reach, whatever the allowlist says: link-local, cloud metadata, unspecified, multicast. */
const FORBIDDEN = (() => {
  const b = new net.BlockList();
  b.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network": 0.0.0.0 reaches the host itself
  b.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, with the metadata service at 169.254.169.254
  b.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud's metadata service
  b.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
  b.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved and broadcast
  b.addAddress('::', 'ipv6');
  b.addSubnet('fe80::', 10, 'ipv6'); // link-local
  b.addAddress('fd00:ec2::254', 'ipv6'); // AWS's IPv6 metadata service
  b.addSubnet('ff00::', 8, 'ipv6'); // multicast
  return b;
})();

/** Names of metadata services, refused before any lookup. */
const FORBIDDEN_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/** An IPv4 address inside a NAT64 (64:ff9b::/96) address, which reaches that IPv4 address. */
function nat64Embedded(ip: string): string | undefined {
  const m = /^64:ff9b::(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(ip);
  if (!m) return undefined;
  if (m[1]) return m[1];
  const hi = parseInt(m[2], 16);
  const lo = parseInt(m[3], 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

const denied = (why: string, url?: string): DomainError =>
  new DomainError('policy_denied', `webhook target refused: ${why}`, url === undefined ? {} : { url: url.slice(0, 200) });

/** `host[:port]` entries of ALLOWED_WEBHOOK_HOSTS: a host without a port allows only its scheme's default port. */
export interface AllowedHost {
  host: string;
  port?: number;
}

/**
 * Where webhooks may go: http(s) URLs whose host (and port) ALLOWED_WEBHOOK_HOSTS lists, never to a forbidden address
 * (checked again for every address a name resolves to, at delivery time), never to the engine's own endpoint, never
 * with credentials in the URL (they would be logged and shown).
 */
export class WebhookTargetPolicy {
  constructor(
    private readonly allowed: readonly AllowedHost[],
    /** Every configured engine's TCP endpoint: never a webhook target, even if listed. */
    private readonly engines: readonly { host: string; port: number }[] = [],
  ) {}

  /** The URL, parsed, when its form and host are allowed; throws invalid_request or policy_denied. */
  checkUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new DomainError('invalid_request', 'url must be an absolute http or https URL');
    }
    // unix:, http+unix:, file: … : only a TCP connection to a listed host is a webhook.
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw denied(`only http and https URLs (not ${url.protocol})`, raw);
    if (url.username || url.password) throw new DomainError('invalid_request', 'url must not carry credentials (use the secret and the signature)');
    const host = url.hostname.toLowerCase();
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    if (FORBIDDEN_NAMES.has(host.replace(/\.$/, ''))) throw denied(`${host} is a metadata service`, raw);
    const bare = host.replace(/^\[|\]$/g, '');
    if (net.isIP(bare) !== 0) this.checkAddress(bare);
    if (this.engines.some((e) => e.host.toLowerCase() === bare && e.port === port)) throw denied("a Docker engine's endpoint", raw);
    const defaultPort = url.protocol === 'https:' ? 443 : 80;
    const listed = this.allowed.some((a) => a.host === host && (a.port === undefined ? port === defaultPort : a.port === port));
    if (!listed) throw denied(`${host}:${port} is not in ALLOWED_WEBHOOK_HOSTS`, raw);
    return url;
  }

  /** Throws policy_denied for an address no webhook may reach (IPv4-mapped and NAT64 forms included). */
  checkAddress(ip: string): void {
    const family = net.isIP(ip);
    if (family === 0) throw denied(`"${ip}" is not an address`);
    const embedded = family === 6 ? nat64Embedded(ip) : undefined;
    if (FORBIDDEN.check(ip, family === 4 ? 'ipv4' : 'ipv6') || (embedded !== undefined && FORBIDDEN.check(embedded, 'ipv4'))) {
      throw denied(`${ip} is a link-local, metadata, unspecified or multicast address`);
    }
  }
}
