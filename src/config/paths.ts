import fs from 'node:fs';
import path from 'node:path';

/**
 * The project's root (where package.json and openapi.yaml are), found from this module's own folder: the same from
 * src/ (tests), from a tsc output tree and from the bundled dist/main.js, whose `__dirname` is dist/ itself.
 */
export const PROJECT_ROOT = ((): string => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '../..');
  }
})();
