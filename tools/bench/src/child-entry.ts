// Entry of the bundled child (env.ts: childBundle): plain JS, no TypeScript loader at run time.
import { main } from './child.ts';

await main(process.argv.slice(2));
