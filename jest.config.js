/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  // Suites start their own servers (Redis, the example-app, a browser).
  testTimeout: 30000,
  maxWorkers: 2,
};
