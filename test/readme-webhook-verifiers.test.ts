import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** The README's signature verifiers are the example files the webhook tests run on real deliveries. */
describe("the README's webhook verifiers", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const file of ['verify-webhook.ts', 'verify_webhook.py']) {
    it(`shows examples/${file} as it is`, () => {
      const source = readFileSync(new URL(`../examples/${file}`, import.meta.url), 'utf8').trimEnd();
      expect(readme).toContain(source);
    });
  }
});
