// A build of the service to compare with dist/main.js in bench/variants.ts (needs `npm run build` first, for
// dist/openapi.json). `--without-fast-reads`: Express answers every request (the fast read path is built, not used).
//   node scripts/build-variant.js dist/main-nofast.js --without-fast-reads
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const [out, ...flags] = process.argv.slice(2);
if (!out) throw new Error('usage: node scripts/build-variant.js <outfile> [--without-fast-reads]');
const patches = [];
if (flags.includes('--without-fast-reads')) {
  patches.push({ file: /src\/app\.ts$/, from: 'if (!fast.serve(req, res)) app(req, res);', to: 'app(req, res);' });
}

esbuild
  .build({
    entryPoints: [path.join(root, 'src', 'main.ts')],
    outfile: path.resolve(out),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'warning',
    external: ['swagger-ui-express', 'swagger-ui-dist', 'swagger-ui-dist/*', 'ssh2'],
    plugins: [
      {
        name: 'variant',
        setup(build) {
          for (const p of patches) {
            build.onLoad({ filter: p.file }, (args) => {
              const src = fs.readFileSync(args.path, 'utf8');
              if (!src.includes(p.from)) throw new Error(`${args.path}: "${p.from}" not found: update scripts/build-variant.js`);
              return { contents: src.replace(p.from, p.to), loader: 'ts' };
            });
          }
        },
      },
    ],
  })
  .catch(() => process.exit(1));
