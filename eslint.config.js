// Flat config: typescript-eslint's recommended rules on every TypeScript file.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'infra/node_modules/**', 'infra/bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The code that serves requests. On Node 20's V8, every key added to the copy that a LEADING spread
    // makes (`{ ...obj, key }`, `{ ...obj, ...more }`) derives a fresh hidden class: 0.6–2 µs per key,
    // ~23 µs for one ai_calls row (bench/object-spread.ts). Object.assign onto a fresh object does the
    // same in ~0.1 µs, and so does a spread after a plain key (`{ key, ...obj }`, `...(c ? { k } : {})`).
    files: ['shared/**/*.ts', 'services/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ObjectExpression > SpreadElement:first-child ~ *',
          message: 'Keys added after a leading spread are slow on V8 (a fresh hidden class per key): use Object.assign({}, obj, { key }).',
        },
      ],
    },
  },
);
