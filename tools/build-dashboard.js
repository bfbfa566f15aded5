#!/usr/bin/env node
// Builds the dashboard (apps/dashboard): tsc turns its TSX into ES modules beside the index.html and styles.css
// that tools/build.js copies, and the two libraries it uses are copied from node_modules into vendor/, where the
// page's import map finds them. No bundler and nothing fetched at run time: the admin service serves the folder.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist/apps/dashboard/src');

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'apps/dashboard/tsconfig.json')], {
  cwd: root,
  stdio: 'inherit',
});

const VENDOR = {
  'preact.js': 'preact/dist/preact.mjs',
  'preact-hooks.js': 'preact/hooks/dist/hooks.mjs',
  'preact-jsx-runtime.js': 'preact/jsx-runtime/dist/jsxRuntime.mjs',
  'uPlot.esm.js': 'uplot/dist/uPlot.esm.js',
  'uPlot.min.css': 'uplot/dist/uPlot.min.css',
};
fs.mkdirSync(path.join(out, 'vendor'), { recursive: true });
for (const [name, source] of Object.entries(VENDOR)) {
  fs.copyFileSync(path.join(root, 'node_modules', source), path.join(out, 'vendor', name));
}
