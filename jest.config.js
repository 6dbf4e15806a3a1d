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
  // How long a worker may take to exit once told to (jest's default 500 ms). No test leaves a handle or a timer:
  // every file's teardown was checked for both, and the workers' event loops end within 1 ms of jest's "end". But a
  // worker held ~1.3 GB RSS at the end of the unit, api and e2e projects, and on this 2-core VM an idle 1 GB Node
  // child took 150-250 ms from "end" to its exit being seen, alone: two at once, beside the parent's own work, can
  // overrun 500 ms ("a worker process has failed to exit gracefully", about once a full run). A worker that really
  // hangs is still reported, after 5 s.
  workerGracefulExitTimeout: 5000,
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
