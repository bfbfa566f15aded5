#!/usr/bin/env node
// Generates the Prisma client offline. The schema engine is never needed to generate, but the CLI looks for it:
// point it at a stub that fails loudly if any command ever calls it (migrations are SQL, see tools/migrate.ts).
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: path.join(root, 'tools/prisma-schema-engine-stub.sh'),
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
