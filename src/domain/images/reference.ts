import { DomainError } from '../errors';

/*
 * The image-reference grammar of distribution/reference, which the engine uses:
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain '/'] path-component ['/' path-component]*
 */
const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[[a-fA-F0-9:]+\\]';
const domain = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const PATH = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const DOMAIN = new RegExp(`^${domain}$`);
const TAG = new RegExp(`^${tag}$`);
const DIGEST = new RegExp(`^${digest}$`);
const SHA256_DIGEST = /^sha256:[a-f0-9]{64}$/;
const IMAGE_ID = /^(?:sha256:)?[a-f0-9]{4,64}$/;
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export const DEFAULT_REGISTRY = 'docker.io';
const NAME_TOTAL_LENGTH_MAX = 255;

/** A parsed, normalized image reference: `docker.io/library/busybox:latest` for `busybox`. */
export interface ImageReference {
  /** Registry host with optional port; docker.io when the reference names none. */
  registry: string;
  /** Repository path inside the registry, `library/` added for official docker.io images. */
  repository: string;
  /** The tag; `latest` when neither a tag nor a digest was given. */
  tag?: string;
  digest?: string;
}

const invalid = (input: string, why: string): DomainError =>
  new DomainError('invalid_reference', `"${truncate(input)}" is not a valid image reference: ${why}`, { reference: truncate(input) });

const truncate = (s: string): string => (s.length > 100 ? `${s.slice(0, 100)}…` : s);

/** Parses a reference the way the engine does; throws invalid_reference. Never defaults to "every tag". */
export function parseReference(input: string): ImageReference {
  if (typeof input !== 'string' || input.length === 0) throw invalid(String(input), 'it is empty');
  if (/^[a-f0-9]{64}$/.test(input)) throw invalid(input, '64 hexadecimal digits are an image id, not a repository name');
  if (input.length > 1024) throw invalid(input, 'it is too long');
  let rest = input;
  let dig: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    dig = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(dig)) throw invalid(input, 'the digest is malformed');
    // As go-digest: only the registered algorithms, each with its own length of lowercase hex.
    const [alg, hex] = dig.split(':');
    if (DIGEST_HEX_LENGTH[alg] !== hex.length || !/^[a-f0-9]+$/.test(hex))
      throw invalid(input, 'the digest must be sha256, sha384 or sha512 in lowercase hex of its length');
  }
  let tg: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tg = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tg)) throw invalid(input, 'the tag must be 1-128 of [A-Za-z0-9_.-], not starting with . or -');
  }
  if (rest.length === 0) throw invalid(input, 'the name is empty');
  // Checked on the name alone, so that `repository` + `:tag` (a tag request's target) cannot slip past it.
  if (/^[a-f0-9]{64}$/.test(rest)) throw invalid(input, '64 hexadecimal digits are an image id, not a repository name');
  if (rest.length > NAME_TOTAL_LENGTH_MAX) throw invalid(input, `the name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);

  let registry = DEFAULT_REGISTRY;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (namesHost(first)) {
      if (!DOMAIN.test(first)) throw invalid(input, 'the registry host is malformed');
      registry = canonicalHost(first);
      path = rest.slice(slash + 1);
    } else if (first !== first.toLowerCase()) {
      // Newer engines read an upper-case first component as a host, this one (20.10) as a Hub repository.
      throw invalid(input, 'an upper-case first component is ambiguous (a registry host needs a "." or ":")');
    }
  }
  if (path !== path.toLowerCase()) throw invalid(input, 'the repository name must be lowercase');
  if (!PATH.test(path)) throw invalid(input, 'the repository name must be lowercase letters, digits and separators (. _ __ -)');
  if (registry === DEFAULT_REGISTRY && !path.includes('/')) path = `library/${path}`;
  if (tg === undefined && dig === undefined) tg = 'latest';
  return { registry, repository: path, tag: tg, digest: dig };
}

/** Docker Hub's other names: the engine contacts Hub for each, so each is checked and sent as docker.io. */
const HUB_ALIASES = new Set([DEFAULT_REGISTRY, 'index.docker.io', 'registry-1.docker.io']);

/** The engine's familiar-name rule: a first path component is a registry host iff it has `.` or `:` or is `localhost`. */
const namesHost = (component: string): boolean => component.includes('.') || component.includes(':') || component === 'localhost';

/** Hosts compare case-insensitively; every Hub alias is docker.io. */
const canonicalHost = (host: string): string => {
  const h = host.toLowerCase();
  return HUB_ALIASES.has(h) ? DEFAULT_REGISTRY : h;
};

/**
 * Which registry the engine will contact for `name` (a reference without tag or digest, exactly as sent to it),
 * and the repository it will ask for — distribution/reference's splitDockerDomain as engine 20.10 vendors it.
 * `index.docker.io` is the engine's own alias of docker.io; parseReference folds the other spellings of Hub first.
 */
export function engineTarget(name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  let registry = DEFAULT_REGISTRY;
  let repository = name;
  if (slash >= 0 && namesHost(name.slice(0, slash))) {
    registry = name.slice(0, slash);
    repository = name.slice(slash + 1);
  }
  if (registry === 'index.docker.io') registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository };
}

/**
 * The familiar form the docker CLI prints: `busybox:latest`, `localhost:5000/team/app:1.0`. A Hub repository whose
 * first component would read as a host (`docker.io/evil.com/app`) keeps its `docker.io/`: without it the engine
 * would contact evil.com.
 */
export function familiarName(ref: ImageReference): string {
  if (ref.registry !== DEFAULT_REGISTRY) return `${ref.registry}/${ref.repository}`;
  const rest = ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : ref.repository;
  const short = rest.includes('/') ? ref.repository : rest;
  const t = engineTarget(short);
  return t.registry === DEFAULT_REGISTRY && t.repository === ref.repository ? short : `${DEFAULT_REGISTRY}/${ref.repository}`;
}

export function formatReference(ref: ImageReference): string {
  let s = familiarName(ref);
  if (ref.tag) s += `:${ref.tag}`;
  if (ref.digest) s += `@${ref.digest}`;
  return s;
}

/** A reference as it will be sent to the engine, with the registry the engine will contact for it. */
export interface EngineReference {
  reference: ImageReference;
  /** The registry checked against ALLOWED_REGISTRIES and the only one whose stored login may be attached. */
  registry: string;
  /** The repository exactly as the engine receives it (`fromImage`, the push name, the tag's `repo`). */
  name: string;
  /** `name` with its tag and/or digest. */
  full: string;
}

/**
 * The one way a reference reaches the engine: parsed, put in the form the engine is sent, and that form re-read
 * with the engine's own rule; if the engine would contact another registry or ask for another repository than the
 * one checked, the reference is refused as invalid_reference before any engine call.
 */
export function resolveReference(input: string): EngineReference {
  const reference = parseReference(input);
  const name = familiarName(reference);
  const sent = engineTarget(name);
  if (sent.registry !== reference.registry || sent.repository !== reference.repository) {
    throw invalid(input, `it is ambiguous (the engine would read it as ${sent.registry}/${sent.repository})`);
  }
  return { reference, registry: reference.registry, name, full: formatReference(reference) };
}

/**
 * What `{ref}` in a URL may be: an image id (full or short, with or without `sha256:`), or a reference.
 * Returns the string to hand to the engine; throws invalid_reference for anything else.
 */
export function parseImageLookup(input: string): { engineName: string; reference?: EngineReference } {
  if (IMAGE_ID.test(input) || SHA256_DIGEST.test(input)) {
    // A short hex string is also a valid repository name; the engine resolves both the same way we'd want.
    return { engineName: input };
  }
  const reference = resolveReference(input);
  return { engineName: reference.full, reference };
}

/** Another tag of the same repository: the tag alone is taken from the caller, never a registry or repository. */
export function retagged(repository: string, tag: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
    throw new DomainError('invalid_reference', `"${tag.slice(0, 130)}" is not a tag (1-128 of [A-Za-z0-9_.-], not starting with . or -)`);
  }
  return resolveReference(`${repository}:${tag}`).full;
}
