/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  // jose 6 is ESM only: Node loads it with require(esm), jest's module system needs it compiled.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  // Suites start their own servers (Redis, the example-app, a browser).
  testTimeout: 30000,
  maxWorkers: 2,
};
