#!/usr/bin/env node
// The `kubeling` executable: loads the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
