/**
 * Three projects: fast unit tests beside the code (no database); medium tests of repositories and
 * services against a real PostgreSQL, without Telegram; and end-to-end tests against a real PostgreSQL
 * and the Bot API emulator. Medium and e2e name the same globalSetup/globalTeardown files, and Jest runs
 * a path shared by several projects once, so one run creates one template database for both.
 */
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json' }];
const database = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

module.exports = {
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'medium',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/medium/**/*.medium-spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
      ...database,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
      ...database,
    },
  ],
};
