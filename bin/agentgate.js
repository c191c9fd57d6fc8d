#!/usr/bin/env node
// The agentgate CLI. TypeScript sources run directly through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
