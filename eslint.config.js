import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.d.ts', 'packages/protocol/src/wire/murmur.ts', 'packages/protocol/src/sync/sync.ts', 'packages/protocol/src/directory.ts', 'packages/node/src/kad-providers.ts', 'bench/results/**', 'packages/cli/page/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }]
    }
  },
  {
    files: ['test/**', 'bench/**', 'packages/*/test/**', '**/*.config.*', 'examples/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/explicit-module-boundary-types': 'off' }
  }
)
