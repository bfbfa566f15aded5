#!/usr/bin/env node
// Builds the whole workspace into dist/ with tsc (which emits the decorator metadata Nest's injector needs;
// esbuild-based tools do not), then copies the non-TypeScript assets (Lua scripts, dashboard files) beside
// the compiled code that loads them, and bundles the shop page for browsers. Incremental: a second build with no change takes a second or two.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const generated = path.join(root, 'libs/platform/src/prisma/generated/client.ts');
const schema = path.join(root, 'prisma/schema.prisma');

if (!fs.existsSync(generated) || fs.statSync(generated).mtimeMs < fs.statSync(schema).mtimeMs) {
  require('./prisma-generate.js');
}

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
  cwd: root,
  stdio: 'inherit',
});

const ASSET = /\.(lua|html|css|js|svg)$/;
function copyAssets(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'generated') copyAssets(from);
    } else if (ASSET.test(entry.name) && !entry.name.endsWith('.ts')) {
      const to = path.join(root, 'dist', path.relative(root, from));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
    }
  }
}
for (const top of ['apps', 'libs']) {
  if (fs.existsSync(path.join(root, top))) copyAssets(path.join(root, top));
}

// The dashboard, a browser app with a tsconfig of its own (ES modules, DOM), served by the admin service.
require('./build-dashboard.js');
// The shop page: browser code, bundled by esbuild with hashed names (tools/build-shop.js).
require('./build-shop.js');

// Path aliases (@seckill/<lib>) resolve at run time through dist/node_modules, so plain `node` runs the output
// with no loader flag: each alias is a link to the compiled lib's directory, which holds its index.js.
const { paths } = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions;
for (const [alias, [target]] of Object.entries(paths)) {
  // A lib left out of the build (the Docker context has no test helpers) gets no link.
  if (!fs.existsSync(path.join(root, target))) continue;
  const link = path.join(root, 'dist/node_modules', alias);
  const dir = path.join(root, 'dist', path.dirname(target));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { force: true, recursive: true });
  fs.symlinkSync(path.relative(path.dirname(link), dir), link, 'dir');
}
