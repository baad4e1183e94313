/** `eddy ui`: starts @eddy/ui's server on the warehouse and waits for Ctrl-C. */
import { type GlobalOptions, openCatalog, parseInteger, println, usage, warehouseOf } from './context.ts';

export interface UiCommandOptions {
  readonly port: string;
  readonly host?: string;
  readonly token?: string;
  readonly allowWrites?: boolean;
}

export async function runUi(g: GlobalOptions, o: UiCommandOptions): Promise<void> {
  const port = parseInteger('--port', o.port, 0) ?? 7431;
  if (port > 65535) throw usage(`--port ${o.port}: expected 0…65535`);
  // The same checks as every command (a missing local warehouse is an error, not a new folder).
  await (await openCatalog(g)).close();
  const { startUi } = await import('@eddy/ui');
  const ui = await startUi({
    warehouse: warehouseOf(g),
    port,
    host: o.host,
    token: o.token,
    allowWrites: o.allowWrites,
  });
  await println(`eddy ui: ${ui.url}  (${ui.readOnly ? 'read-only' : 'writes allowed'}; Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await ui.close();
}
