// @ts-check
// `npm run lint` (with dependency-cruiser for the layers, .dependency-cruiser.js). Type-aware: typescript-eslint's
// recommendedTypeChecked on the TypeScript of src/, bench/, test/ and web/; the plain recommended rules on scripts/.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', '.test-env/**', 'src/client/openapi-types.ts'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Async methods that implement an interface or a callback whose other implementations await: kept async.
      '@typescript-eslint/require-await': 'off',
      // `_`-prefixed parameters are there for an arity (Express's 4-argument error handler) or an interface.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts'], languageOptions: { globals: globals.node } },
  {
    files: ['web/**/*.ts'],
    languageOptions: { globals: globals.browser },
    rules: {
      // DOM listeners of the console are async functions that catch and show their own errors: a listener's
      // ignored return value loses nothing. Promises left floating elsewhere are still errors.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    // Tests read supertest's and JSON.parse's `any` bodies field by field: the assertions are the type check there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // jest's expect(mock.method).toHaveBeenCalled… names methods without calling them.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
);
