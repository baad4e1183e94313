/**
 * The engine worker: hosts DuckDB. Statements arrive on the worker's port; the Eddy table
 * functions' callbacks, which DuckDB calls synchronously, ask the main thread for columns and
 * batches and block (Atomics.wait) until it answers on the data port — the main thread is free to
 * await Eddy's reads meanwhile. See protocol.ts.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DATE,
  DOUBLE,
  type DuckDBConnection,
  DuckDBDecimalType,
  DuckDBInstance,
  type DuckDBResult,
  DuckDBTableFunction,
  type DuckDBTableFunctionBindInfo,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  FLOAT,
  HUGEINT,
  INTEGER,
  SMALLINT,
  TIME,
  TIMESTAMP,
  TIMESTAMP_MS,
  TIMESTAMPTZ,
  TINYINT,
  UBIGINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type {
  EngineReply,
  EngineRequest,
  ResolveArgs,
  ScanAnswer,
  ScanCall,
  WireBatch,
  WireField,
  WireType,
} from './protocol.ts';
import { transferList } from './protocol.ts';
import { BatchBuilder, fillVector, VECTOR_SIZE, wireType } from './vectors.ts';

export interface EngineWorkerData {
  readonly dataPort: MessagePort;
  readonly signal: SharedArrayBuffer;
  readonly config: Readonly<Record<string, string>>;
}

const { dataPort, signal, config } = workerData as EngineWorkerData;
const port = parentPort;
if (!port) throw new Error('engine worker: no parent port');
const counter = new Int32Array(signal);

function reply(m: EngineReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(m, transfer);
}

// ---------------------------------------------------------------------------------------------
// Calls into the main thread from DuckDB callbacks (synchronous for DuckDB)

let nextCall = 1;
const answers = new Map<number, ScanAnswer>();

function callMain(call: ScanCall): ScanAnswer {
  reply(call);
  for (;;) {
    const seen = Atomics.load(counter, 0);
    for (let m = receiveMessageOnPort(dataPort); m; m = receiveMessageOnPort(dataPort)) {
      const a = m.message as ScanAnswer;
      answers.set(a.call, a);
    }
    const a = answers.get(call.call);
    if (a) {
      answers.delete(call.call);
      if ('error' in a) throw new Error(a.error);
      return a;
    }
    Atomics.wait(counter, 0, seen);
  }
}

// ---------------------------------------------------------------------------------------------
// The table functions

const TYPES: Partial<Record<number, DuckDBType>> = {
  [DuckDBTypeId.BOOLEAN]: BOOLEAN,
  [DuckDBTypeId.TINYINT]: TINYINT,
  [DuckDBTypeId.SMALLINT]: SMALLINT,
  [DuckDBTypeId.INTEGER]: INTEGER,
  [DuckDBTypeId.BIGINT]: BIGINT,
  [DuckDBTypeId.UTINYINT]: UTINYINT,
  [DuckDBTypeId.USMALLINT]: USMALLINT,
  [DuckDBTypeId.UINTEGER]: UINTEGER,
  [DuckDBTypeId.UBIGINT]: UBIGINT,
  [DuckDBTypeId.HUGEINT]: HUGEINT,
  [DuckDBTypeId.FLOAT]: FLOAT,
  [DuckDBTypeId.DOUBLE]: DOUBLE,
  [DuckDBTypeId.DATE]: DATE,
  [DuckDBTypeId.TIME]: TIME,
  [DuckDBTypeId.TIMESTAMP]: TIMESTAMP,
  [DuckDBTypeId.TIMESTAMP_MS]: TIMESTAMP_MS,
  [DuckDBTypeId.TIMESTAMP_TZ]: TIMESTAMPTZ,
  [DuckDBTypeId.VARCHAR]: VARCHAR,
  [DuckDBTypeId.BLOB]: BLOB,
};

/** The DuckDB type of a wire type (the types Eddy's columns map to). */
function duckType(t: WireType): DuckDBType {
  if (t.id === DuckDBTypeId.DECIMAL) return new DuckDBDecimalType(t.width ?? 18, t.scale ?? 0);
  const type = TYPES[t.id];
  if (!type) throw new Error(`no DuckDB type for ${t.sql}`);
  return type;
}

function jsValue(v: DuckDBValue | null): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && 'micros' in v) return (v as { micros: bigint }).micros; // TIMESTAMPTZ → µs
  return v;
}

/** Session of the statement a callback belongs to, by the connection DuckDB runs it on. */
const sessionOfConnection = new Map<number, number>();

interface BindData {
  readonly handle: number;
  readonly fields: readonly WireField[];
}

interface CursorState {
  readonly cursor: number;
  readonly types: readonly (WireType | undefined)[];
  batch: WireBatch | undefined;
  offset: number;
  done: boolean;
}

function bindCall(fn: string, info: DuckDBTableFunctionBindInfo): void {
  const positional: unknown[] = [];
  for (let i = 0; i < info.parameterCount; i++) positional.push(jsValue(info.getParameter(i)));
  const named: Record<string, unknown> = {};
  for (const n of NAMED[fn] ?? []) {
    const v = info.getNamedParameter(n);
    if (v !== null) named[n] = jsValue(v);
  }
  const session = sessionOfConnection.get(info.clientContext.connectionId) ?? 0;
  const args: ResolveArgs = { positional, named };
  const a = callMain({ op: 'resolve', call: nextCall++, session, fn, args });
  if (!('handle' in a)) throw new Error('engine: bad resolve answer');
  for (const f of a.fields) info.addResultColumn(f.name, duckType(f.type));
  info.setBindData({ handle: a.handle, fields: a.fields } satisfies BindData);
}

const NAMED: Record<string, string[]> = {
  eddy_scan: ['snapshot', 'timestamp', 'tag'],
  eddy_changes: ['from', 'to'],
};

function registerFunctions(con: DuckDBConnection): void {
  const functions: { name: string; params: DuckDBType[]; named: Record<string, DuckDBType> }[] = [
    { name: '__eddy_read', params: [BIGINT], named: {} },
    { name: 'eddy_scan', params: [VARCHAR], named: { snapshot: BIGINT, timestamp: TIMESTAMPTZ, tag: VARCHAR } },
    { name: 'eddy_changes', params: [VARCHAR], named: { from: BIGINT, to: BIGINT } },
    { name: 'eddy_system', params: [VARCHAR, VARCHAR], named: {} },
  ];
  for (const f of functions) {
    con.registerTableFunction(
      DuckDBTableFunction.create({
        name: f.name,
        parameterTypes: f.params,
        namedParameterTypes: f.named,
        supportsProjectionPushdown: true,
        bindFunction: (info) => bindCall(f.name, info),
        initFunction: (info) => {
          const bind = info.bindData as BindData;
          // DuckDB asks for no column at all (count(*)) with the row-id column: any column will do.
          const projection = info.getColumnIndexes().map((i) => (i < bind.fields.length ? i : -1));
          const a = callMain({ op: 'open', call: nextCall++, handle: bind.handle, projection });
          if (!('cursor' in a)) throw new Error('engine: bad open answer');
          info.setMaxThreads(1);
          info.setInitData({
            cursor: a.cursor,
            types: projection.map((i) => (i >= 0 ? bind.fields[i].type : undefined)),
            batch: undefined,
            offset: 0,
            done: false,
          } satisfies CursorState);
        },
        mainFunction: (info, output) => {
          const st = info.initData as CursorState;
          while (!st.done && (!st.batch || st.offset >= st.batch.length)) {
            const a = callMain({ op: 'next', call: nextCall++, cursor: st.cursor });
            if ('done' in a) st.done = true;
            else if ('batch' in a) {
              st.batch = a.batch;
              st.offset = 0;
            }
          }
          const batch = st.batch;
          if (st.done || !batch) {
            output.rowCount = 0;
            return;
          }
          const n = Math.min(VECTOR_SIZE, batch.length - st.offset);
          duckdb.data_chunk_set_size(output.chunk, n);
          for (let c = 0; c < st.types.length; c++) {
            const type = st.types[c];
            if (type) fillVector(duckdb.data_chunk_get_vector(output.chunk, c), type, batch.columns[c], st.offset, n);
          }
          st.offset += n;
        },
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Statements

const instance = await DuckDBInstance.create(':memory:', {
  autoinstall_known_extensions: 'false',
  ...config,
});
const sessions = new Map<number, DuckDBConnection>();

async function session(id: number): Promise<DuckDBConnection> {
  let con = sessions.get(id);
  if (!con) {
    con = await instance.connect();
    registerFunctions(con);
    sessions.set(id, con);
    sessionOfConnection.set(con.clientContext.connectionId, id);
  }
  return con;
}

interface Running {
  readonly result: DuckDBResult;
  readonly builder: BatchBuilder;
  readonly batchRows: number;
  ended: boolean;
}

const running = new Map<number, Running>();

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function handle(m: EngineRequest): Promise<void> {
  switch (m.op) {
    case 'run': {
      startedStmt.set(m.session, m.stmt);
      const pending = pendingInterrupt.get(m.session);
      if (pending !== undefined && pending <= m.stmt) pendingInterrupt.delete(m.session);
      if (pending === m.stmt) {
        reply({ op: 'error', stmt: m.stmt, message: 'INTERRUPT Error: Interrupted!' });
        return;
      }
      try {
        const con = await session(m.session);
        const result = await con.stream(m.sql);
        const fields = result.columnNames().map((name, i) => ({ name, type: wireType(result.columnType(i)) }));
        running.set(m.stmt, { result, builder: new BatchBuilder(fields), batchRows: m.batchRows, ended: false });
        reply({ op: 'columns', stmt: m.stmt, fields });
      } catch (e) {
        reply({ op: 'error', stmt: m.stmt, message: errorText(e) });
      }
      return;
    }
    case 'fetch': {
      const r = running.get(m.stmt);
      if (!r || r.ended) {
        reply({ op: 'end', stmt: m.stmt });
        return;
      }
      try {
        while (r.builder.length < r.batchRows) {
          const chunk = await r.result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) {
            r.ended = true;
            break;
          }
          r.builder.add(chunk);
        }
        if (r.builder.length > 0) {
          const batch = r.builder.take();
          reply({ op: 'batch', stmt: m.stmt, batch }, transferList(batch));
        } else {
          running.delete(m.stmt);
          reply({ op: 'end', stmt: m.stmt });
        }
      } catch (e) {
        running.delete(m.stmt);
        reply({ op: 'error', stmt: m.stmt, message: errorText(e) });
      }
      return;
    }
    case 'close':
      running.delete(m.stmt);
      return;
    case 'interrupt':
      return;
    case 'closeSession': {
      const con = sessions.get(m.session);
      if (con) {
        sessions.delete(m.session);
        sessionOfConnection.delete(con.clientContext.connectionId);
        con.closeSync();
      }
      return;
    }
  }
}

// Requests are handled one at a time, in order: a statement's fetches follow its run.
let queue: Promise<void> = Promise.resolve();
// Per session: the last statement that started, and one to stop as it starts (interrupted while queued).
const startedStmt = new Map<number, number>();
const pendingInterrupt = new Map<number, number>();
port.on('message', (m: EngineRequest) => {
  if (m.op === 'interrupt') {
    if (m.stmt > (startedStmt.get(m.session) ?? 0)) pendingInterrupt.set(m.session, m.stmt);
    else sessions.get(m.session)?.interrupt();
  } else queue = queue.then(() => handle(m));
});
reply({ op: 'ready' });
