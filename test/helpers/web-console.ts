import path from 'node:path';

/** scripts/build-web.js, the one build of the web console (plain JS, so it is required, not imported). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const builder = require(path.resolve(__dirname, '../../scripts/build-web.js')) as { buildWeb(opts?: { minify?: boolean }): Promise<string> };

/** Bundles web/ into dist/web/ (about 100 ms): tests always serve the current source. */
export const buildConsole = (): Promise<string> => builder.buildWeb({ minify: false });
