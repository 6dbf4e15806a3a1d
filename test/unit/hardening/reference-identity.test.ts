import fc from 'fast-check';
import { planCreate } from '../../../src/domain/containers/create-policy';
import { isDomainError } from '../../../src/domain/errors';
import { ImageTagger } from '../../../src/domain/images/image-tagger';
import type { ImageTransfer } from '../../../src/domain/images/image-transfer';
import type { ImageRepository } from '../../../src/domain/images/image-repository';
import { resolveReference } from '../../../src/domain/images/reference';
import { resolvePull, resolvePush } from '../../../src/domain/jobs/job-requests';
import { normalizeHost, RegistryAllowlist } from '../../../src/domain/registries/registry';
import { engineReads, invalidReference, validReference } from '../../helpers/reference-corpus';

// The property of issue 13.1: the registry the engine will contact — read from the exact string it is sent, with
// the engine's own rule (test/helpers/reference-corpus.ts, written apart from src/) — is the registry that was
// checked against ALLOWED_REGISTRIES and whose login would be attached. A fixed seed keeps a run reproducible.
const SEED = 20261130;
const RUNS = 2500;

/** An allowlist that allows everything and remembers what it was asked about. */
class RecordingAllowlist extends RegistryAllowlist {
  checked: string[] = [];
  constructor() {
    super([]);
  }
  override allows(registry: string): boolean {
    this.checked.push(registry);
    return true;
  }
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return isDomainError(e) ? e.code : `not a domain error: ${String(e)}`;
  }
  return undefined;
};

let validSeen = 0;
let invalidSeen = 0;

describe('registry identity over a generated corpus', () => {
  test(`when ${RUNS} valid references are resolved, then the engine reads the checked registry from every string it is sent`, () => {
    fc.assert(
      fc.property(validReference, (input) => {
        validSeen++;
        const r = resolveReference(input);
        // What the caller wrote, read by the engine's rule, with host case and Hub aliases folded: the identity kept.
        expect(r.registry).toBe(normalizeHost(engineReads(input).registry));
        for (const sent of [r.name, r.full]) expect(engineReads(sent)).toEqual({ registry: r.registry, repository: r.reference.repository });
        expect(resolveReference(r.full)).toEqual(r);

        const pullCheck = new RecordingAllowlist();
        const pull = resolvePull(input, undefined, pullCheck);
        expect(pullCheck.checked).toEqual([r.registry]);
        expect(engineReads(pull.target.name)).toEqual(engineReads(r.name));
        expect(pull.registry).toBe(r.registry);

        const plan = planCreate({ image: input });
        expect(plan.pullRegistry).toBe(r.registry);
        expect(engineReads(plan.spec.image).registry).toBe(r.registry);
        expect(resolvePull(plan.pullReference as string, undefined, new RecordingAllowlist()).registry).toBe(r.registry);

        if (r.reference.digest === undefined) {
          const pushCheck = new RecordingAllowlist();
          const push = resolvePush(input, pushCheck);
          expect(pushCheck.checked).toEqual([r.registry]);
          expect(engineReads(push.target.name)).toEqual(engineReads(r.name));
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(validSeen).toBeGreaterThanOrEqual(2000);
  });

  test(`when ${RUNS} invalid references are given to every operation, then each refuses with invalid_reference`, () => {
    fc.assert(
      fc.property(invalidReference, (input) => {
        invalidSeen++;
        expect(codeOf(() => resolveReference(input))).toBe('invalid_reference');
        expect(codeOf(() => resolvePull(input, undefined, new RecordingAllowlist()))).toBe('invalid_reference');
        expect(codeOf(() => resolvePush(input, new RecordingAllowlist()))).toBe('invalid_reference');
        // 64 hex digits are an image id where an id is accepted (create), and refused as a repository name.
        if (!/^[a-f0-9]{64}$/.test(input)) expect(codeOf(() => planCreate({ image: input }))).toBe('invalid_reference');
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(invalidSeen).toBeGreaterThanOrEqual(2000);
  });

  test('when a tag target is resolved, then the engine is sent a repo that it reads as the registry of the reference', async () => {
    const sent: string[] = [];
    const transfer = { tag: async (_s: string, repo: string) => void sent.push(repo) } as unknown as ImageTransfer;
    const images = { inspect: async () => ({ id: 'sha256:x' }) } as unknown as ImageRepository;
    const tagger = new ImageTagger(transfer, images);
    const targets = fc.sample(
      validReference.filter((r) => !r.includes('@') && !/:[^/]*$/.test(r)),
      { seed: SEED, numRuns: 300 },
    );
    for (const repository of targets) {
      const { image } = await tagger.tag('busybox', repository, 'v1');
      expect(engineReads(sent[sent.length - 1]).registry).toBe(resolveReference(repository).registry);
      expect(engineReads(image).registry).toBe(resolveReference(repository).registry);
    }
    expect(sent).toHaveLength(targets.length);
  });

  test('when a tag target is 64 hexadecimal digits, then it is refused before the engine (found by the engine matrix)', async () => {
    const transfer = { tag: async () => undefined } as unknown as ImageTransfer;
    const tagger = new ImageTagger(transfer, {} as ImageRepository);
    await expect(tagger.tag('busybox', 'a'.repeat(64), '1')).rejects.toMatchObject({ code: 'invalid_reference' });
  });

  test.each([
    // The attacks of the outside review: a Hub reading by us, another host by the engine, before this fix.
    ['docker.io/evil.com/app', 'docker.io/evil.com/app'],
    ['docker.io/localhost/app:1', 'docker.io/localhost/app:1'],
    ['index.docker.io/127.0.0.1/app', 'docker.io/127.0.0.1/app:latest'],
    ['library/evil.com/app', 'library/evil.com/app:latest'],
    ['registry-1.docker.io/library/busybox', 'busybox:latest'],
    ['Docker.IO/busybox', 'busybox:latest'],
    ['LOCALHOST:5000/app', 'localhost:5000/app:latest'],
    ['[::1]:5000/app', '[::1]:5000/app:latest'],
  ])('when %s is resolved, then the engine is sent %s', (input, full) => {
    expect(resolveReference(input).full).toBe(full.includes(':') || full.includes('@') ? full : `${full}:latest`);
  });
});
