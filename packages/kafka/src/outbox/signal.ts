import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryCompiler, QueryResult, TransactionSettings } from 'kysely';

/*
 * "Outbox rows were committed" as an in-process signal, per schema.
 *
 * A Postgres NOTIFY (from a trigger) used to wake the relay. NOTIFY takes a database-wide lock at commit and
 * holds it through the WAL flush, so every writing transaction committed one after another: no group commit,
 * about half the insert rate under concurrency. The relay runs in the process that writes its outbox, so
 * the database handle tells it directly instead: a statement that writes the outbox starts with
 * OUTBOX_WRITE_HINT, and when the transaction carrying one commits (or the statement ran on its own, which
 * commits it), the schema's relays are woken. Rows written by other processes are found by the relay's poll.
 */

/** Leading comment of every statement that writes outbox rows; Postgres ignores it, the handle watches for it. */
export const OUTBOX_WRITE_HINT = '/* baton:outbox-write */';

type Listener = () => void;
const listeners = new Map<string, Set<Listener>>();

/** Calls `listener` after each commit of outbox rows in `schema` by this process; returns the unsubscribe. */
export function onOutboxCommit(schema: string, listener: Listener): () => void {
  const set = listeners.get(schema) ?? new Set<Listener>();
  set.add(listener);
  listeners.set(schema, set);
  return () => {
    set.delete(listener);
    if (set.size === 0) listeners.delete(schema);
  };
}

function signal(schema: string): void {
  for (const listener of listeners.get(schema) ?? []) listener();
}

class SignallingConnection implements DatabaseConnection {
  inTransaction = false;
  wroteOutbox = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly schema: string,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.inner.executeQuery<R>(query);
    if (query.sql.startsWith(OUTBOX_WRITE_HINT)) {
      if (this.inTransaction) this.wroteOutbox = true;
      else signal(this.schema);
    }
    return result;
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

type SavepointCall = (connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) => Promise<void>;

class SignallingDriver implements Driver {
  readonly savepoint?: SavepointCall;
  readonly rollbackToSavepoint?: SavepointCall;
  readonly releaseSavepoint?: SavepointCall;

  constructor(
    private readonly inner: Driver,
    private readonly schema: string,
  ) {
    // Savepoints neither commit nor end the transaction: the flag stays (a rolled-back write only costs the
    // relay one empty pass).
    const passOn = (call: SavepointCall | undefined): SavepointCall | undefined =>
      call && ((connection, name, compile) => call.call(inner, unwrap(connection), name, compile));
    this.savepoint = passOn(inner.savepoint);
    this.rollbackToSavepoint = passOn(inner.rollbackToSavepoint);
    this.releaseSavepoint = passOn(inner.releaseSavepoint);
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SignallingConnection(await this.inner.acquireConnection(), this.schema);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await this.inner.beginTransaction(unwrap(connection), settings);
    const c = connection as SignallingConnection;
    c.inTransaction = true;
    c.wroteOutbox = false;
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as SignallingConnection;
    c.inTransaction = false;
    await this.inner.commitTransaction(unwrap(connection));
    if (c.wroteOutbox) signal(this.schema);
    c.wroteOutbox = false;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as SignallingConnection;
    c.inTransaction = false;
    c.wroteOutbox = false;
    await this.inner.rollbackTransaction(unwrap(connection));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

const unwrap = (connection: DatabaseConnection): DatabaseConnection => (connection as SignallingConnection).inner;

/**
 * Wraps a dialect so that its connections raise the outbox signal of `schema` (the schema the handle's
 * search_path points at) after each commit that wrote outbox rows.
 */
export function withOutboxSignal(dialect: Dialect, schema: string): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new SignallingDriver(dialect.createDriver(), schema),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}
