import type { ImageUsage } from '../../../src/domain/images/image-admin-engine';
import { imageReclaimable, summarizeDiskUsage } from '../../../src/domain/system/disk-usage';

const usage = (id: string, size: number, sharedSize: number, containers: number): ImageUsage => ({
  id,
  repoTags: [],
  created: 0,
  size,
  sharedSize,
  uniqueSize: size - sharedSize,
  containers,
});

describe('imageReclaimable', () => {
  test('when no image is in use, then every layer is reclaimable, exactly', () => {
    expect(imageReclaimable(150, [usage('a', 100, 50, 0), usage('b', 100, 50, 0)])).toEqual({ reclaimable: 150, atMost: 150 });
  });

  test("when one image sharing a base is in use, then only the other one's own layer is reclaimable, exactly", () => {
    // base 50 shared; a and b each add 50 of their own: 150 on disk.
    expect(imageReclaimable(150, [usage('a', 100, 50, 1), usage('b', 100, 50, 0)])).toEqual({ reclaimable: 50, atMost: 100 });
  });

  test('when two in-use images share a base, then the figure is a bracket that holds the truth', () => {
    // base 50 shared by a, b (in use) and c (unused, own 30): truth is 30.
    const r = imageReclaimable(180, [usage('a', 100, 50, 1), usage('b', 100, 50, 1), usage('c', 80, 50, 0)]);
    expect(r.reclaimable).toBeLessThanOrEqual(30);
    expect(r.atMost).toBeGreaterThanOrEqual(30);
  });
});

describe('summarizeDiskUsage', () => {
  test('when containers and volumes are stopped or unused, then their bytes add to the total reclaimable', () => {
    const d = summarizeDiskUsage({
      layersSize: 100,
      images: [usage('a', 100, 0, 2)],
      containers: [
        { id: 'c1', name: 'c1', imageId: 'a', image: 'a', state: 'running', sizeRw: 5, sizeRootFs: 105 },
        { id: 'c2', name: 'c2', imageId: 'a', image: 'a', state: 'exited', sizeRw: 7, sizeRootFs: 107 },
      ],
      volumes: [
        { name: 'v1', size: 11, refCount: 0 },
        { name: 'v2', size: 13, refCount: 1 },
        { name: 'v3', size: -1, refCount: -1 },
      ],
    });
    expect(d.containers).toMatchObject({ count: 2, running: 1, sizeRw: 12, reclaimable: 7 });
    expect(d.volumes).toEqual({ count: 3, active: 1, size: 24, reclaimable: 11 });
    expect(d.images).toMatchObject({ count: 1, active: 1, reclaimable: 0 });
    expect(d.reclaimable).toBe(18);
    expect(d.images.items[0].created).toBe('1970-01-01T00:00:00.000Z');
  });
});
