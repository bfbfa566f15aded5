import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';

// Two copies of fastify would mean two sets of types and hooks: @nestjs/platform-fastify pins an exact fastify
// version, and package.json's override makes it use the app's. This fails when an upgrade splits them again.
describe('dependencies', () => {
  it('@nestjs/platform-fastify and the app load one and the same fastify', () => {
    const fromAdapter = require.resolve('fastify', { paths: [dirname(require.resolve('@nestjs/platform-fastify'))] });
    assert.equal(fromAdapter, require.resolve('fastify'));
  });
});
