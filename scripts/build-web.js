// Bundles the web console (web/) into dist/web/: one script from web/src/main.ts, the page and the style sheet.
// `npm run build` runs it after tsc; the e2e tests call buildWeb() so they always drive the current source.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'dist', 'web');

/** Write-then-rename, so a service serving dist/web never sends a half-written file (tests build while others run). */
function writeAtomic(file, contents) {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
}

async function buildWeb({ minify = true } = {}) {
  fs.mkdirSync(outDir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'web', 'src', 'main.ts')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify,
    sourcemap: 'linked',
    logLevel: 'warning',
    write: false,
  });
  for (const out of result.outputFiles) writeAtomic(out.path, out.contents);
  writeAtomic(path.join(outDir, 'index.html'), fs.readFileSync(path.join(root, 'web', 'index.html')));
  // xterm.js's own style sheet first, ours after it (so ours may override): one file from our origin, no CDN.
  const xtermCss = fs.readFileSync(require.resolve('@xterm/xterm/css/xterm.css'));
  writeAtomic(path.join(outDir, 'styles.css'), Buffer.concat([xtermCss, Buffer.from('\n'), fs.readFileSync(path.join(root, 'web', 'styles.css'))]));
  return outDir;
}

module.exports = { buildWeb, outDir };

if (require.main === module) {
  buildWeb().then(
    (dir) => console.log(`web console bundled into ${path.relative(root, dir)}/`),
    (err) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
