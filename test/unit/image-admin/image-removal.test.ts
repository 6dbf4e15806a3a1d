import type { ImageAdminEngine, ImageNode } from '../../../src/domain/images/image-admin-engine';
import { ImageRemovalService, namesImageById } from '../../../src/domain/images/image-removal-service';

const ID = `sha256:${'a'.repeat(64)}`;
const PARENT = `sha256:${'b'.repeat(64)}`;

function fakeEngine(nodes: ImageNode[], uniqueSize: number): ImageAdminEngine & { removed: number } {
  const e = {
    removed: 0,
    resolve: async (name: string) => {
      const n = nodes.find((x) => x.repoTags.includes(name) || namesImageById(x.id, name));
      if (!n) throw Object.assign(new Error('no such image'), { code: 'image_not_found' });
      return n;
    },
    images: async () => nodes,
    containers: async () => [],
    diskUsage: async () => ({
      layersSize: 0,
      images: nodes
        .filter((n) => n.repoTags.length > 0)
        .map((n) => ({ id: n.id, repoTags: n.repoTags, created: 0, size: n.size, sharedSize: n.size - uniqueSize, uniqueSize, containers: 0 })),
      containers: [],
      volumes: [],
    }),
    remove: async () => {
      e.removed++;
      return { untagged: [], deleted: [] };
    },
    prune: async () => ({ untagged: [], deleted: [], spaceReclaimed: 0 }),
  };
  return e;
}

const node = (id: string, o: Partial<ImageNode>): ImageNode => ({
  id,
  parentId: null,
  repoTags: [],
  repoDigests: [],
  created: 0,
  size: 0,
  labels: {},
  ...o,
});

describe('ImageRemovalService dry run', () => {
  // A built image: an untagged parent of 300 bytes (100 of them its own), the image adds 50 on top.
  const nodes = [node(PARENT, { size: 300 }), node(ID, { parentId: PARENT, repoTags: ['app:1'], size: 350 })];

  test("when the parent is pruned too, then the image's whole unique size is freed and nothing is removed", async () => {
    const engine = fakeEngine(nodes, 150);
    const res = await new ImageRemovalService(engine).remove('app:1', { force: false, noprune: false, dryRun: true });
    expect(res).toMatchObject({ dryRun: true, untagged: ['app:1'], deleted: [ID, PARENT], bytesFreed: 150 });
    expect(engine.removed).toBe(0);
  });

  test('when noprune keeps the parent, then only the bytes above the parent are freed', async () => {
    const res = await new ImageRemovalService(fakeEngine(nodes, 150)).remove('app:1', { force: false, noprune: true, dryRun: true });
    expect(res).toMatchObject({ deleted: [ID], bytesFreed: 50 });
  });

  test('when named by a short id, then it is treated as an id (all references go)', async () => {
    const res = await new ImageRemovalService(fakeEngine(nodes, 150)).remove('aaaaaaaaaaaa', { force: false, noprune: false, dryRun: true });
    expect(res).toMatchObject({ untagged: ['app:1'], deleted: [ID, PARENT] });
  });

  test('when the reference is malformed, then invalid_reference before the engine is asked', async () => {
    const engine = fakeEngine(nodes, 0);
    const resolve = jest.spyOn(engine, 'resolve');
    await expect(new ImageRemovalService(engine).remove('team/Bad..Name', { force: false, noprune: false, dryRun: true })).rejects.toMatchObject({
      code: 'invalid_reference',
    });
    expect(resolve).not.toHaveBeenCalled();
  });
});
