import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testEnv, uniqueName } from '@baton/testing';
import pg from 'pg';
import { REDACTED_KEYS, createLogger } from '../src/logger.js';
import { memoryDestination } from './support.js';

describe('createLogger', () => {
  const personal = ['Ada Lovelace', 'Ada', 'Lovelace', 'ada@example.com', '+44 20 7946 0000', 'Charles Babbage'];

  it('redacts personal data at the top level and nested', () => {
    const output = memoryDestination();
    const logger = createLogger({ name: 'test', destination: output.stream });
    logger.info(
      {
        email: 'ada@example.com',
        lead: { contact: { email: 'ada@example.com', phone: '+44 20 7946 0000' }, name: 'Ada Lovelace' },
        event: { data: { person: { firstName: 'Ada', lastName: 'Lovelace', fullName: 'Ada Lovelace' } } },
        appointment: { attendees: [{ name: 'Charles Babbage' }] },
        leads: [{ phone: '+44 20 7946 0000' }],
        req: { body: { anything: 'Ada Lovelace' } },
        leadId: 'lead-1',
      },
      'captured',
    );
    const text = output.text();
    for (const value of personal) expect(text).not.toContain(value);
    const [line] = output.lines();
    expect(line).toMatchObject({ leadId: 'lead-1', email: '[redacted]', service: 'test', msg: 'captured' });
  });

  it('redacts personal data in child logger bindings', () => {
    const output = memoryDestination();
    const child = createLogger({ name: 'test', destination: output.stream }).child({ email: 'ada@example.com' });
    child.child({ lead: { contact: { phone: '+44 20 7946 0000' } }, leadId: 'lead-1' }).info('x');
    expect(output.text()).not.toContain('ada@example.com');
    expect(output.text()).not.toContain('+44 20 7946 0000');
    expect(output.lines()[0]).toMatchObject({ leadId: 'lead-1', email: '[redacted]' });
  });

  it('redacts personal data at any depth, in arrays, and in values interpolated into the message', () => {
    const output = memoryDestination();
    const logger = createLogger({ name: 'test', destination: output.stream });
    logger.info({ a: { b: { c: { d: { e: { f: { email: 'ada@example.com' } } } } } }, batch: [[{ phone: '+44 20 7946 0000' }]] }, 'deep');
    logger.info('interpolated %o and %j', { contact: { name: 'Ada Lovelace' } }, { fullName: 'Charles Babbage' });
    logger.info({ leadId: 'lead-2' }, 'with fields %o', { payload: { anything: 'Ada' } });
    const text = output.text();
    for (const value of personal) expect(text).not.toContain(value);
    expect(output.lines()[0]).toMatchObject({ a: { b: { c: { d: { e: { f: { email: '[redacted]' } } } } } } });
  });

  it('redacts what an error carries in its own fields, keeping its message and stack', () => {
    const output = memoryDestination();
    const logger = createLogger({ name: 'test', destination: output.stream });
    const err = Object.assign(new Error('lookup failed'), { email: 'ada@example.com', details: { contact: { phone: '+44 20 7946 0000' } } });
    logger.error({ err }, 'failed');
    logger.error({ cause: err }, 'failed again');
    logger.child({ err }).warn('bound');
    const text = output.text();
    // Not the whole `personal` list: a stack trace may well contain 'Ada' (jestAdapter).
    for (const value of ['ada@example.com', '+44 20 7946 0000']) expect(text).not.toContain(value);
    const [first] = output.lines();
    expect(first).toMatchObject({ err: { message: 'lookup failed', email: '[redacted]', stack: expect.stringContaining('lookup failed') } });
  });

  it('logs an object that refers to itself', () => {
    const output = memoryDestination();
    const cyclic: Record<string, unknown> = { leadId: 'lead-3' };
    cyclic['self'] = cyclic;
    createLogger({ name: 'test', destination: output.stream }).info({ cyclic }, 'cyclic');
    expect(output.lines()[0]).toMatchObject({ cyclic: { leadId: 'lead-3' } });
  });

  it('prints a cycle as [Circular] and walks a richly cross-linked graph without blowing up', () => {
    const output = memoryDestination();
    // Every node points back at every ancestor: a walk without cycle detection visits b^depth paths.
    const root: Record<string, unknown> = { leadId: 'lead-4' };
    let node = root;
    for (let i = 0; i < 12; i++) {
      const next: Record<string, unknown> = { up: node, root, again: node, email: 'ada@example.com' };
      node['down'] = next;
      node = next;
    }
    createLogger({ name: 'test', destination: output.stream }).info({ graph: root }, 'graph');
    const [line] = output.lines() as Array<{ graph: { leadId: string; down: { up: string; email: string } } }>;
    expect(line?.graph).toMatchObject({ leadId: 'lead-4', down: { up: '[Circular]', email: '[redacted]' } });
    expect(output.text()).not.toContain('ada@example.com');
  });

  it('redacts what toJSON returns, an object given as the message, and what a child brings of its own', () => {
    const output = memoryDestination();
    const logger = createLogger({ name: 'test', destination: output.stream });
    class Person {
      constructor(private readonly address: string) {}
      toJSON() {
        return { email: this.address };
      }
    }
    logger.info({ person: new Person('ada@example.com'), at: new Date(0) }, 'to json');
    logger.info({ leadId: 'lead-5' }, { contact: { phone: '+44 20 7946 0000' } } as unknown as string);
    const child = logger.child({}, { formatters: { log: (fields) => ({ ...fields, added: { email: 'ada@example.com' } }) }, serializers: { thing: () => ({ name: 'Ada Lovelace' }) } });
    child.info({ thing: 1 }, 'child options');
    child.setBindings({ phone: '+44 20 7946 0000' });
    child.info('set bindings');
    const text = output.text();
    for (const value of personal) expect(text).not.toContain(value);
    expect(output.lines()[0]).toMatchObject({ person: { email: '[redacted]' }, at: '1970-01-01T00:00:00.000Z' });
    expect(output.lines()[2]).toMatchObject({ added: { email: '[redacted]' }, thing: { name: '[redacted]' } });
  });

  it('logs requests and replies through safe serializers: method, route pattern and status only', () => {
    const output = memoryDestination();
    const logger = createLogger({ name: 'test', destination: output.stream });
    const req = { method: 'POST', url: '/v1/leads?email=ada@example.com', routeOptions: { url: '/v1/leads' }, headers: { authorization: 'Bearer secret' }, body: { name: 'Ada' } };
    const reply = { statusCode: 201, raw: { socket: { remoteAddress: '10.0.0.1' } }, request: req };
    logger.info({ req, res: reply }, 'request');
    expect(output.text()).not.toContain('ada@example.com');
    expect(output.text()).not.toContain('secret');
    expect(output.lines()[0]).toMatchObject({ req: { method: 'POST', route: '/v1/leads' }, res: { statusCode: 201 } });
  });

  it('keeps the service name despite `name` being a redacted key', () => {
    const output = memoryDestination();
    createLogger({ name: 'capture', destination: output.stream }).info('x');
    expect(output.lines()[0]).toMatchObject({ service: 'capture' });
    expect(REDACTED_KEYS).toContain('name');
  });

  it('honours the level', () => {
    const output = memoryDestination();
    const logger = createLogger({ name: 'test', level: 'warn', destination: output.stream });
    logger.info('hidden');
    logger.warn('shown');
    expect(output.lines().map((line) => line['msg'])).toEqual(['shown']);
  });

  it('logs a real database error without the values it quotes', async () => {
    const schema = uniqueName('logger');
    const client = new pg.Client({ connectionString: testEnv().databaseUrl });
    await client.connect();
    const output = memoryDestination();
    try {
      await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.leads (email text UNIQUE)`);
      await client.query(`INSERT INTO ${schema}.leads VALUES ('ada@example.com')`);
      const err = await client.query(`INSERT INTO ${schema}.leads VALUES ('ada@example.com')`).catch((e: unknown) => e);
      const cast = await client.query(`SELECT $1::uuid`, ['ada@example.com']).catch((e: unknown) => e);
      const logger = createLogger({ name: 'test', destination: output.stream });
      logger.error({ err }, 'insert failed');
      logger.error({ err: cast }, 'cast failed');
      // Alone, an error lends pino its message: the safe one, not the one quoting the input.
      logger.error(cast as Error);
      // Wrapped: as a cause, inside an AggregateError, or held in a property of another error.
      const wrapped = new Error('capture failed', { cause: err });
      logger.error({ err: wrapped }, 'wrapped');
      logger.error({ err: new AggregateError([err, cast], 'several failed') }, 'aggregate');
      logger.error({ err: Object.assign(new Error('outer'), { original: cast }) }, 'held');
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
    expect(output.text()).not.toContain('ada@example.com');
    const [unique, cast, alone, wrapped, aggregate, held] = output.lines();
    expect(wrapped).toMatchObject({ err: { message: 'capture failed', cause: { code: '23505', message: 'database error 23505' } } });
    expect(aggregate).toMatchObject({ err: { message: 'several failed', errors: [{ code: '23505' }, { code: '22P02' }] } });
    expect(held).toMatchObject({ err: { message: 'outer', original: { code: '22P02' } } });
    expect(unique).toMatchObject({ err: { code: '23505', constraint: expect.stringContaining('email') } });
    expect(cast).toMatchObject({ err: { code: '22P02' } });
    expect(alone).toMatchObject({ msg: 'database error 22P02', err: { code: '22P02' } });
  });
});

describe('the default log destination (logDestination)', () => {
  const fixture = fileURLToPath(new URL('./fixtures/log-flush.fixture.ts', import.meta.url));
  const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

  /**
   * Runs the fixture. 'stay': resolves with its stdout once `seen` says so, fails if that takes 5 s (the
   * fixture needs about 1 s to start under tsx); the fixture is killed either way. 'exit': resolves once it exited.
   */
  function run(mode: 'stay' | 'exit', seen: (stdout: string) => boolean = () => false): Promise<{ stdout: string; code: number | null }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], { cwd: repoRoot });
      let stdout = '';
      const deadline = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no line within 5 s; stdout so far: ${JSON.stringify(stdout)}`));
      }, 5_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (mode === 'stay' && seen(stdout)) {
          child.kill('SIGKILL');
          resolve({ stdout, code: null });
        }
      });
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(deadline);
        if (mode === 'exit') resolve({ stdout, code });
        else reject(new Error(`fixture ended: ${JSON.stringify(stdout)}`));
      });
    });
  }

  it('writes a line of a quiet process within the flush interval, though the 4 KB buffer is far from full', async () => {
    const { stdout } = await run('stay', (out) => out.includes('"msg":"one line"'));
    // Without the periodic flush the line would wait for 4 KB more, or for the exit.
    expect(JSON.parse(stdout.trim())).toMatchObject({ service: 'fixture', leadId: 'lead-1', msg: 'one line' });
  }, 20_000);

  it('writes what is still buffered when the process exits', async () => {
    const { stdout, code } = await run('exit');
    expect(code).toBe(3);
    expect(stdout).toContain('"msg":"one line"');
  }, 20_000);
});
