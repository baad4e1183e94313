#!/usr/bin/env node
// One Eddy operation in a fresh process (timed as a whole process by the benchmark; the memory
// suite's writers): see src/child.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/child.ts');
await main(process.argv.slice(2));
