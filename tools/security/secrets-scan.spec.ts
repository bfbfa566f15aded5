import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

// The secrets scan CI runs (npm run secrets: secretlint with .secretlintrc.yml) finds secrets planted in files of
// the kinds the tree holds, and passes the development values the configuration allows by their exact text. The
// planted values are made at run time, so this file holds none for the scan to find.

const ROOT = resolve(__dirname, '../../..');
const SECRETLINT = join(ROOT, 'node_modules/secretlint/bin/secretlint.js');
let dir: string;

function scan(file: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [SECRETLINT, '--secretlintrc', join(ROOT, '.secretlintrc.yml'), '--no-maskSecrets', '--format', 'unix', file],
      { cwd: dir },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

function plant(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'secrets-scan-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the secrets scan', () => {
  const secret = () => randomBytes(24).toString('base64url');

  it("reports this project's secrets given a value in an env file, a compose file and code", async () => {
    const cases = [
      plant('.env', `JWT_SECRET=${secret()}\n`),
      plant('compose.yml', `services:\n  payment:\n    environment:\n      PAYMENT_WEBHOOK_SECRET: ${secret()}\n`),
      plant('config.ts', `export const PROVIDER_ADMIN_KEY = '${secret()}';\n`),
      plant('settings.json', `{ "ADMIN_PASSWORD": "${secret()}" }\n`),
    ];
    for (const file of cases) {
      const result = await scan(file);
      assert.equal(result.code, 1, `${file}: ${result.output}`);
      assert.match(result.output, /this project's secrets/, file);
    }
  });

  it("reports what secretlint's recommended rules know, such as a private key", async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const result = await scan(plant('key.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()));
    assert.equal(result.code, 1, result.output);
  });

  it('passes the allowed development values, a reference to a variable and a value read at run time', async () => {
    for (const text of [
      "  PAYMENT_WEBHOOK_SECRET = 'dev-only-webhook-secret';\n",
      'JWT_SECRET=change-me-to-32-or-more-random-characters\n',
      'JWT_SECRET: ${JWT_SECRET:?set JWT_SECRET (32+ characters)}\n',
      'const secret = config.JWT_SECRET;\n',
    ]) {
      const result = await scan(plant(text.includes('${') ? 'ref.yml' : text.includes('=change') ? 'ok.env' : 'ok.ts', text));
      assert.equal(result.code, 0, `${text}: ${result.output}`);
    }
  });

  it('reports a development value where it is not allowed: the allow-list is by exact text, not by file', async () => {
    // Put together at run time: written whole, the line would be reported in this file by the scan of the tree.
    const result = await scan(plant('other.ts', ['const WEBHOOK', "_SECRET = 'dev-only-webhook-secret-2';\n"].join('')));
    assert.equal(result.code, 1, result.output);
  });
});
