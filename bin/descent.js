#!/usr/bin/env node
// Entry point for `npx descent`: registers tsx so the TypeScript sources run with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
