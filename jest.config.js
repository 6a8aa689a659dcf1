/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  // jose is published as ES modules only: compile it to CommonJS like our own files.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  // Suites start their own servers (Redis, the example-app, a browser).
  testTimeout: 30000,
  maxWorkers: 2,
};
