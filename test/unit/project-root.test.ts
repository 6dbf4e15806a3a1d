import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/paths';
import { SPEC_CACHE_PATH, SPEC_PATH } from '../../src/http/openapi';

describe('PROJECT_ROOT (the same from src/, a tsc tree and the bundled dist/main.js)', () => {
  test('when loaded from the sources, then it is the folder holding package.json, and the contract paths hang from it', () => {
    expect(PROJECT_ROOT).toBe(path.resolve(__dirname, '../..'));
    expect(fs.existsSync(path.join(PROJECT_ROOT, 'package.json'))).toBe(true);
    expect(SPEC_PATH).toBe(path.join(PROJECT_ROOT, 'openapi.yaml'));
    expect(SPEC_CACHE_PATH).toBe(path.join(PROJECT_ROOT, 'dist', 'openapi.json'));
  });
});
