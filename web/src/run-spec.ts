import type { ContainerCreateRequest } from '../../src/client/rest-client';

/**
 * Turns the run form's text fields into a create request. Pure (no DOM) so it is unit-tested; the service
 * validates everything again, this only gives people an early, precise message.
 */
export interface RunFields {
  image: string;
  name: string;
  ports: string;
  env: string;
  cmd: string;
  labels: string;
}

export class RunFormError extends Error {}

/** `8080:80, 9000:90/udp, 80` → published ports (no host port: the engine picks one). */
export function parsePorts(text: string): NonNullable<ContainerCreateRequest['ports']> {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((item) => {
      const m = /^(?:(\d{1,5}):)?(\d{1,5})(?:\/(tcp|udp|sctp))?$/.exec(item);
      if (!m) throw new RunFormError(`ports: "${item}" is not hostPort:containerPort[/tcp|udp]`);
      const [hostPort, containerPort] = [m[1] ? Number(m[1]) : undefined, Number(m[2])];
      for (const p of [hostPort, containerPort]) if (p !== undefined && (p < 1 || p > 65535)) throw new RunFormError(`ports: ${p} is out of range`);
      return { containerPort, ...(hostPort ? { hostPort } : {}), ...(m[3] ? { protocol: m[3] as 'tcp' | 'udp' | 'sctp' } : {}) };
    });
}

/** One `NAME=value` per line (blank lines and `#` comments skipped); the value is kept exactly as typed. */
export function parsePairs(text: string, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0 || !line.slice(0, eq).trim()) throw new RunFormError(`${field}: "${line.trim()}" is not NAME=value`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return out;
}

/** A JSON array (`["sh","-c","echo hi"]`), or words split like a shell would on spaces and quotes. */
export function parseCmd(text: string): string[] | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (t.startsWith('[')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      throw new RunFormError('cmd: not a valid JSON array');
    }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new RunFormError('cmd: a JSON array of strings is expected');
    return v;
  }
  const words: string[] = [];
  let cur = '';
  let quote: '"' | "'" | undefined;
  let inWord = false;
  for (const ch of t) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new RunFormError('cmd: a quote is not closed');
  if (inWord) words.push(cur);
  return words;
}

export function runRequest(f: RunFields): ContainerCreateRequest {
  const image = f.image.trim();
  if (!image) throw new RunFormError('image: required');
  const req: ContainerCreateRequest = { image };
  if (f.name.trim()) req.name = f.name.trim();
  const ports = parsePorts(f.ports);
  if (ports.length) req.ports = ports;
  const env = parsePairs(f.env, 'env');
  if (Object.keys(env).length) req.env = env;
  const labels = parsePairs(f.labels, 'labels');
  if (Object.keys(labels).length) req.labels = labels;
  const cmd = parseCmd(f.cmd);
  if (cmd) req.cmd = cmd;
  return req;
}
