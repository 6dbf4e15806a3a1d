import type { ImageNode } from '../../../src/domain/images/image-admin-engine';
import { ImageGraph } from '../../../src/domain/images/image-graph';
import { labelsMatch, parseUntil, planPrune, toPruneFilter } from '../../../src/domain/images/image-prune-service';
import { toGraphImage } from '../../../src/domain/images/image-removal-service';

const now = new Date('2024-06-01T12:00:00Z');
const nowS = Math.floor(now.getTime() / 1000);

describe('parseUntil', () => {
  test.each([
    ['24h', nowS - 86400],
    ['1h30m', nowS - 5400],
    ['90s', nowS - 90],
    ['1700000000', 1700000000],
    ['2024-01-02', Date.UTC(2024, 0, 2) / 1000],
    ['2024-01-02T03:04:05Z', Date.UTC(2024, 0, 2, 3, 4, 5) / 1000],
    ['2024-01-02T03:04:05+02:00', Date.UTC(2024, 0, 2, 1, 4, 5) / 1000],
  ])('when given %s, then the cutoff is %d', (v, want) => {
    expect(parseUntil(v, now)).toBe(want);
  });

  test.each(['yesterday', '2024-13-45', '2024-01-02T03:04:05'])('when given %s, then invalid_request', (v) => {
    expect(() => parseUntil(v, now)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});

describe('labelsMatch', () => {
  test('when every key and key=value is present, then it matches; otherwise not', () => {
    const labels = { a: '1', b: '' };
    expect(labelsMatch([], labels)).toBe(true);
    expect(labelsMatch(['a', 'b='], labels)).toBe(true);
    expect(labelsMatch(['a=1'], labels)).toBe(true);
    expect(labelsMatch(['a=2'], labels)).toBe(false);
    expect(labelsMatch(['c'], labels)).toBe(false);
  });
});

const node = (id: string, o: Partial<ImageNode> = {}): ImageNode => ({
  id,
  parentId: null,
  repoTags: [],
  repoDigests: [],
  created: 1000,
  size: 10,
  labels: { run: 'x' },
  ...o,
});

describe('planPrune', () => {
  const plan = (nodes: ImageNode[], req: Parameters<typeof toPruneFilter>[0], containers: { imageId: string; state: string }[] = []) =>
    planPrune(
      nodes,
      new ImageGraph(
        nodes.map(toGraphImage),
        containers.map((c, i) => ({ id: `c${i}`, name: `c${i}`, ...c })),
      ),
      toPruneFilter(req, now),
    );

  test('when dangling only, then untagged leaves go with their untagged parents, tagged and used images stay', () => {
    const nodes = [
      node('BASE', { repoTags: ['base:1'] }),
      node('MID', { parentId: 'BASE' }),
      node('LEAF', { parentId: 'MID' }),
      node('TAGGED', { repoTags: ['t:1'] }),
      node('USED'),
      node('DIGEST_ONLY', { repoDigests: ['r@sha256:1'] }),
    ];
    const out = plan(nodes, {}, [{ imageId: 'USED', state: 'exited' }]);
    expect(out.deleted.sort()).toEqual(['DIGEST_ONLY', 'LEAF', 'MID']);
    expect(out.untagged).toEqual(['r@sha256:1']);
  });

  test('when all, then tagged unused images go; an in-use one with two tags loses one tag, like the engine', () => {
    const nodes = [node('TAGGED', { repoTags: ['t:1'] }), node('USED', { repoTags: ['u:1', 'u:2'] })];
    const out = plan(nodes, { all: true }, [{ imageId: 'USED', state: 'running' }]);
    expect(out.deleted).toEqual(['TAGGED']);
    expect(out.untagged).toEqual(['t:1', 'u:1']);
  });

  test('when all and a container (running or stopped) uses a pulled image (a tag and its digest), then none of it would go', () => {
    const pulled = (id: string) => node(id, { repoTags: [`reg:5000/${id}:1`], repoDigests: [`reg:5000/${id}@sha256:${id}`] });
    const nodes = [pulled('RUN'), pulled('STOPPED'), pulled('FREE')];
    const out = plan(nodes, { all: true }, [
      { imageId: 'RUN', state: 'running' },
      { imageId: 'STOPPED', state: 'exited' },
    ]);
    expect(out.deleted).toEqual(['FREE']);
    expect(out.untagged).toEqual(['reg:5000/FREE:1', 'reg:5000/FREE@sha256:FREE']);
  });

  test('when filtered by label and until, then only matching, older images are candidates', () => {
    const nodes = [node('OLD'), node('NEW', { created: nowS }), node('OTHER', { labels: { run: 'y' } })];
    expect(plan(nodes, { label: ['run=x'], until: '1h' }).deleted).toEqual(['OLD']);
  });
});
