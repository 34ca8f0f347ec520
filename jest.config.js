/** Tests run on the TypeScript sources through swc, as native ES modules. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } },
    ],
  },
  moduleNameMapper: {
    '^@ddinit/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    // Subpath exports (`@ddinit/storage/s3`) name a module of the package's sources.
    '^@ddinit/([a-z-]+)/([a-z0-9-]+)$': '<rootDir>/packages/$1/src/$2.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: ['<rootDir>/{packages,services}/*/src/**/*.test.ts'],
  testTimeout: 120000,
  maxWorkers: 2,
};
