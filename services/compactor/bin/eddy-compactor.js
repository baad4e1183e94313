#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step): tsx registers the loader, then main runs.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
// Exit explicitly: work abandoned at shutdown may still hold the event loop open.
process.exit(await main(process.argv));
