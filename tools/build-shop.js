// Builds the shop page (apps/shop/src) into dist/apps/shop/public with esbuild: the page's script, its proof-of-work
// worker and its styles bundled and named by content hash (so they can be cached for a year), and index.html
// pointing at them (served with no-cache, so a new build is picked up at once). Nothing is fetched at run time.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const source = path.join(root, 'apps/shop/src');
const out = path.join(root, 'dist/apps/shop/public');
const assets = path.join(out, 'assets');

/** Builds one entry point and returns its output file's name (assets/<name>-<hash>.<ext>). */
function bundle(entry, options = {}) {
  const result = esbuild.buildSync({
    entryPoints: [path.join(source, entry)],
    bundle: true,
    minify: true,
    sourcemap: false,
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    tsconfig: path.join(root, 'apps/shop/tsconfig.json'),
    outdir: assets,
    entryNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
    ...options,
  });
  const [output] = Object.keys(result.metafile.outputs).filter((file) => !file.endsWith('.map'));
  return path.relative(out, path.join(root, output)).split(path.sep).join('/');
}

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(assets, { recursive: true });
// A classic worker (IIFE) works in every browser that runs the page; the page refers to it relative to /shop/.
const worker = bundle('solver.worker.ts', { format: 'iife' });
const main = bundle('main.ts', { format: 'esm', define: { __SOLVER_URL__: JSON.stringify(worker) } });
const styles = bundle('styles.css');
const html = fs.readFileSync(path.join(source, 'index.html'), 'utf8').replace('%MAIN%', main).replace('%STYLES%', styles);
fs.writeFileSync(path.join(out, 'index.html'), html);
