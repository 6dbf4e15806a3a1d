import { ImageGraph, repositoryOf, type GraphContainer, type GraphImage } from '../../../src/domain/images/image-graph';

const img = (id: string, refs: string[] = [], parentId: string | null = null): GraphImage => ({ id, refs, parentId });
const ctr = (imageId: string, state = 'running', id = `c-${imageId}-${state}`): GraphContainer => ({ id, name: id, state, imageId });

describe('repositoryOf', () => {
  test.each([
    ['team/app:1.0', 'team/app'],
    ['reg:5000/app:1', 'reg:5000/app'],
    ['reg:5000/app', 'reg:5000/app'],
    ['reg:5000/app@sha256:abc', 'reg:5000/app'],
  ])('when given %s, then the repository is %s', (ref, repo) => {
    expect(repositoryOf(ref)).toBe(repo);
  });
});

describe('ImageGraph.imageDelete (the engine rules, replayed)', () => {
  test('when a reference is one of two tags, then it is untagged only and nothing is deleted', () => {
    const g = new ImageGraph([img('A', ['app:1', 'app:2'])], []);
    expect(g.imageDelete('A', 'app:2', false, true)).toEqual({ untagged: ['app:2'], deleted: [] });
    expect(g.refsOf('A')).toEqual(['app:1']);
  });

  test("when the last tag of a repository goes, then that repository's digest references go with it", () => {
    const g = new ImageGraph([img('A', ['app:1', 'app@sha256:d', 'other:1'])], []);
    expect(g.imageDelete('A', 'app:1', false, true)).toEqual({ untagged: ['app:1', 'app@sha256:d'], deleted: [] });
    expect(g.refsOf('A')).toEqual(['other:1']);
  });

  test('when the last reference goes, then the image and its untagged parents are deleted, stopping at a tagged one', () => {
    const g = new ImageGraph([img('BASE', ['base:1']), img('MID', [], 'BASE'), img('A', ['app:1'], 'MID')], []);
    expect(g.imageDelete('A', 'app:1', false, true)).toEqual({ untagged: ['app:1'], deleted: ['A', 'MID'] });
    expect(g.has('BASE')).toBe(true);
  });

  test('when noprune is asked, then the untagged parent stays', () => {
    const g = new ImageGraph([img('MID'), img('A', ['app:1'], 'MID')], []);
    expect(g.imageDelete('A', 'app:1', false, false)).toEqual({ untagged: ['app:1'], deleted: ['A'] });
    expect(g.has('MID')).toBe(true);
  });

  test('when a parent has another child, then pruning stops there', () => {
    const g = new ImageGraph([img('MID'), img('A', ['app:1'], 'MID'), img('B', ['b:1'], 'MID')], []);
    expect(g.imageDelete('A', 'app:1', false, true).deleted).toEqual(['A']);
  });

  test('when any container uses an image with one reference, then removing that reference is refused without force', () => {
    const g = new ImageGraph([img('A', ['app:1'])], [ctr('A', 'exited')]);
    const out = g.imageDelete('A', 'app:1', false, true);
    expect(out.conflict).toMatchObject({ code: 'image_in_use', containers: [{ state: 'exited' }] });
    expect(out.untagged).toEqual([]);
    expect(g.refsOf('A')).toEqual(['app:1']);
  });

  test('when a container uses a pulled image (one tag plus its digest), then its tag is refused without force: one reference to the engine', () => {
    const g = new ImageGraph([img('A', ['reg:5000/app:1', 'reg:5000/app@sha256:d'])], [ctr('A', 'running')]);
    const out = g.imageDelete('A', 'reg:5000/app:1', false, true);
    expect(out.conflict).toMatchObject({ code: 'image_in_use', containers: [{ state: 'running' }] });
    expect(out.untagged).toEqual([]);
    expect(g.refsOf('A')).toEqual(['reg:5000/app:1', 'reg:5000/app@sha256:d']);
  });

  test('when a reference the image no longer carries is named, then nothing is untagged (the engine answers not found)', () => {
    const g = new ImageGraph([img('A', ['app:1', 'other:1'])], []);
    g.imageDelete('A', 'app:1', false, true);
    expect(g.imageDelete('A', 'app:1', false, true)).toEqual({ untagged: [], deleted: [] });
    expect(g.refsOf('A')).toEqual(['other:1']);
  });

  test('when forced by reference while a container runs, then the tag goes but the image stays (quiet prune)', () => {
    const g = new ImageGraph([img('A', ['app:1'])], [ctr('A')]);
    expect(g.imageDelete('A', 'app:1', true, true)).toEqual({ untagged: ['app:1'], deleted: [] });
    expect(g.has('A')).toBe(true);
  });

  test('when removed by id with a running container, then even force is refused and the container is listed', () => {
    const g = new ImageGraph([img('A', ['app:1'])], [ctr('A', 'running'), ctr('A', 'exited')]);
    const out = g.imageDelete('A', undefined, true, true);
    expect(out.conflict?.code).toBe('image_in_use');
    expect(out.conflict?.containers.map((c) => c.state)).toEqual(['running']);
  });

  test('when a container is paused, then it counts as running', () => {
    const g = new ImageGraph([img('A', ['app:1'])], [ctr('A', 'paused')]);
    expect(g.imageDelete('A', undefined, true, true).conflict?.code).toBe('image_in_use');
  });

  test('when removed by id with only a stopped container and force, then the image is deleted', () => {
    const g = new ImageGraph([img('A', ['app:1'])], [ctr('A', 'exited')]);
    expect(g.imageDelete('A', undefined, true, true)).toEqual({ untagged: ['app:1'], deleted: ['A'] });
  });

  test('when removed by id with references in two repositories, then a plain conflict asks for force', () => {
    const g = new ImageGraph([img('A', ['app:1', 'other:1'])], []);
    const out = g.imageDelete('A', undefined, false, true);
    expect(out.conflict).toMatchObject({ code: 'conflict', containers: [], childImages: [] });
    expect(new ImageGraph([img('A', ['app:1', 'other:1'])], []).imageDelete('A', undefined, true, true)).toEqual({
      untagged: ['app:1', 'other:1'],
      deleted: ['A'],
    });
  });

  test('when the image has a child, then it is in use by that child image', () => {
    const g = new ImageGraph([img('A', ['app:1']), img('B', ['b:1'], 'A')], []);
    const out = g.imageDelete('A', undefined, true, true);
    expect(out.conflict).toMatchObject({ code: 'image_in_use', childImages: ['B'] });
  });
});
