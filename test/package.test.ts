import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..');
const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();

/** The package is used through its built entry points, as a user installs it. */
describe('package entry points', () => {
  test('import { … } from "express-oauth2-server" works from an ES module', () => {
    const out = run(['--input-type=module', '-e', "import { oauthServer, redisStore, memoryStore, clientCredentials, generateClientSecret, InvalidGrantError } from 'express-oauth2-server'; console.log([oauthServer, redisStore, memoryStore, clientCredentials, generateClientSecret, InvalidGrantError].map((x) => typeof x).join())"]);
    expect(out).toBe('function,function,function,function,function,function');
  });

  test('require("express-oauth2-server") works from CommonJS', () => {
    const out = run(['-e', "const { oauthServer } = require('express-oauth2-server'); console.log(typeof oauthServer)"]);
    expect(out).toBe('function');
  });

  test('an app on the memory store loads neither the Redis store nor ioredis', () => {
    const loaded = (name: string) =>
      `Object.keys(require.cache).some((file) => file.includes(${JSON.stringify(name)}))`;
    const out = run(['-e', `const { oauthServer, memoryStore, redisStore } = require('express-oauth2-server'); oauthServer({ issuer: 'https://as.example/oauth', clients: [], store: memoryStore() }); console.log(${loaded('/node_modules/ioredis/')}, ${loaded('/stores/redis/')}, typeof redisStore)`]);
    expect(out).toBe('false false function');
  });

  test('the types are declared next to the build', () => {
    const pkg = require('../package.json') as { types: string; exports: Record<string, { types: string }> };
    expect(require('node:fs').existsSync(path.join(root, pkg.types))).toBe(true);
    expect(pkg.exports['.'].types).toBe('./dist/index.d.ts');
  });
});
