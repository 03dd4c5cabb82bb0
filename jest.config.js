/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    // The Milvus SDK's index loads its parquet bulk-import code, which pulls an ES-module-only
    // uuid that Node 20.19 loads natively but Jest cannot; vecgate never uses that code.
    '^@shanghaikid/parquetjs$': '<rootDir>/test/support/unused-module.ts',
    '^@vecgate/(core|tenancy|isolation|search|audit)$': '<rootDir>/libs/$1/src',
    '^@vecgate/(core|tenancy|isolation|search|audit)/(.*)$': '<rootDir>/libs/$1/src/$2',
  },
  testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // Asks once per run whether containers can run; suites read the answer (test/support).
  globalSetup: '<rootDir>/test/support/container-runtime.setup.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
