/** Pure logic (unit), the HTTP/WS edge (api), the real isolated engine (integration), the web console (e2e). */
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  // The test engine's data root holds image layers (a built Dockerhand's package.json among them): not ours to crawl.
  modulePathIgnorePatterns: ['<rootDir>/.test-env/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }] },
};
module.exports = {
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'api', testMatch: ['<rootDir>/test/api/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/test/setup/timeout-api.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup/timeout-integration.ts'],
    },
    // The web console in headless Chromium (Debian's chromium + playwright-core) against the service and the engine.
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/test/setup/timeout-e2e.ts'] },
  ],
};
