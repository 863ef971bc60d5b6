import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'out/**', 'e2e/**/*.spec.ts'],
    testTimeout: 30000,
  },
});
