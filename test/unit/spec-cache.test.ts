import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SPEC_PATH, specDigest } from '../../src/http/openapi';

describe('the build-time contract cache (dist/openapi.json)', () => {
  test('when built, then it holds exactly the parsed openapi.yaml and the digest of the text it came from', () => {
    const root = path.resolve(__dirname, '../..');
    execFileSync(process.execPath, [path.join(root, 'scripts/build-spec.js')]);
    const cache = JSON.parse(fs.readFileSync(path.join(root, 'dist/openapi.json'), 'utf8'));
    const text = fs.readFileSync(SPEC_PATH, 'utf8');
    expect(cache.sha256).toBe(specDigest(text));
    expect(cache.doc).toEqual(YAML.parse(text));
  });

  test('when the text changes by one byte, then the digest no longer matches (a stale cache is ignored)', () => {
    const text = fs.readFileSync(SPEC_PATH, 'utf8');
    expect(specDigest(`${text} `)).not.toBe(specDigest(text));
  });
});
