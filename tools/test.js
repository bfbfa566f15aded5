#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.spec.js) with Node's test runner, prints the spec report, and closes
// with the line `N passed, N failed`. Arguments filter the files by substring of their path inside the repository,
// as the source is named (`npm test -- orders`, `npm test -- libs/platform/src/http/request-logging.spec.ts`): where
// the clone lives never matters (a clone in a folder named seckill would otherwise match every file).
// `--drills` runs the fault drills (dist/**/*.drill.js, `npm run test:faults`) instead, one file at a time.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { run } = require('node:test');
const { spec } = require('node:test/reporters');

const root = path.resolve(__dirname, '..');
const drills = process.argv.includes('--drills');
const filters = process.argv.slice(2).filter((arg) => arg !== '--drills');
const suffix = drills ? '.drill.js' : '.spec.js';

function find(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') find(full, out);
    } else if (entry.name.endsWith(suffix)) {
      out.push(full);
    }
  }
  return out;
}

/** dist/apps/x/src/y.spec.js → apps/x/src/y.spec.js: the path the filter is matched against. */
function sourcePath(file) {
  return path.relative(path.join(root, 'dist'), file).split(path.sep).join('/');
}

const files = ['apps', 'libs', 'tools']
  .map((top) => path.join(root, 'dist', top))
  .filter((dir) => fs.existsSync(dir))
  .flatMap((dir) => find(dir, []))
  .filter((file) => filters.length === 0 || filters.some((filter) => sourcePath(file).includes(filter.replace(/\.ts$/, '.js'))))
  .sort();

let passed = 0;
let failed = 0;
// forceExit: a file whose tests have all finished ends then, even if something it opened still holds the event
// loop (a leaked handle would otherwise hold its slot until the 10-minute timeout and fail the file).
const stream = run({ files, concurrency: drills ? 1 : 2, timeout: 10 * 60 * 1000, forceExit: true });
stream.on('test:pass', (event) => {
  if (event.details?.type !== 'suite' && !event.skip && !event.todo) passed++;
});
stream.on('test:fail', (event) => {
  if (event.details?.type !== 'suite') failed++;
});
const report = stream.compose(spec);
report.pipe(process.stdout, { end: false });
report.on('end', () => {
  // An empty selection is a failure too: a green run must have run something.
  if (files.length === 0) {
    failed++;
    process.stdout.write(`no test file's path contains ${filters.map((filter) => JSON.stringify(filter)).join(' or ')}\n`);
  }
  process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
  process.exitCode = failed > 0 ? 1 : 0;
});
