// Shared by test/ and bench/: mutual-TLS material for a dockerd behind tcp://127.0.0.1, made by the same script
// scripts/test-env.sh uses for its engine C (support/make-tls-certs.sh, openssl).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A DOCKER_CERT_PATH-like directory's three files, read. */
export interface TlsFiles {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/** What makeTlsCerts wrote: `serverDir` is for dockerd, `clientDir` for a client (docker CLI, dockerode, https). */
export interface TlsCerts {
  dir: string;
  serverDir: string;
  clientDir: string;
}

const SCRIPT = path.resolve(__dirname, 'make-tls-certs.sh');

/** A fresh CA, a server certificate for IP:127.0.0.1 and DNS:localhost, and a client certificate, under `dir`. */
export function makeTlsCerts(dir: string): TlsCerts {
  execFileSync('bash', [SCRIPT, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { dir, serverDir: path.join(dir, 'server'), clientDir: path.join(dir, 'client') };
}

/** Reads `ca.pem`, `cert.pem` and `key.pem` from a DOCKER_CERT_PATH-like directory. */
export function readTlsDir(dir: string): TlsFiles {
  const read = (name: string) => fs.readFileSync(path.join(dir, name));
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

/** dockerd's flags for mutual TLS with the server half of `certs`. */
export function dockerdTlsArgs(certs: TlsCerts): string[] {
  const f = (name: string) => path.join(certs.serverDir, name);
  return ['--tlsverify', '--tlscacert', f('ca.pem'), '--tlscert', f('cert.pem'), '--tlskey', f('key.pem')];
}
