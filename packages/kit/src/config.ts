import { z } from 'zod';

/** One bad or missing environment variable. */
export type ConfigIssue = { variable: string; message: string };

/** Thrown by loadConfig; its message names every bad or missing variable. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const lines = issues.map((issue) => `  - ${issue.variable}: ${issue.message}`);
    super(`Invalid configuration:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Parses the environment once at start-up; throws ConfigError listing each bad variable by name. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const input = withoutEmptyValues(env);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const variable = issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)';
    // zod's "expected string, received undefined" hides the actual problem from operators.
    const missing = issue.path.length === 1 && input[String(issue.path[0])] === undefined;
    return { variable, message: missing ? 'is required but not set' : issue.message };
  });
  throw new ConfigError(issues);
}

// `FOO=` in a shell or compose file means "not set"; treating it as '' would defeat defaults.
function withoutEmptyValues(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
}

const hostPort = /^[A-Za-z0-9.-]+:(\d{1,5})$/;
const isBroker = (value: string) => {
  const port = Number(hostPort.exec(value)?.[1]);
  return port >= 1 && port <= 65535;
};

const brokerList = z
  .string()
  .transform((value) => value.split(',').map((broker) => broker.trim()).filter((broker) => broker.length > 0))
  .pipe(z.array(z.string().refine(isBroker, 'each broker must be host:port, port 1-65535')).min(1, 'at least one broker'));

// Digits only: Number() would also read '1e3', '0x10' or ' 5 ' and turn a typo into a surprising value.
const digits = z.string().trim().regex(/^\d+$/, 'must be a whole number');
const positiveInt = digits.transform(Number).pipe(z.number().int().positive());
const withHost = (url: string) => {
  try {
    return new URL(url).hostname.length > 0;
  } catch {
    return false;
  }
};

/** Variables every service reads; services extend it (PORT has no default here: each service sets its own). */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // 0 asks the OS for a free port (tests do); anything else must be a real port.
  PORT: digits.transform(Number).pipe(z.number().int().min(0).max(65535)),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).refine(withHost, 'must name a host').default('postgres://postgres@127.0.0.1:5432/baton'),
  KAFKA_BROKERS: z.string().default('127.0.0.1:9092').pipe(brokerList),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).refine(withHost, 'must name a host').default('redis://127.0.0.1:6379'),
  BODY_LIMIT_BYTES: positiveInt.default(1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  // Partitions of lead-lifecycle.v1 when a service has to create it: the ceiling on consumer parallelism.
  KAFKA_TOPIC_PARTITIONS: positiveInt.default(6),
  OUTBOX_POLL_INTERVAL_MS: positiveInt.default(1_000),
});

/** The parsed base configuration. */
export type BaseConfig = z.output<typeof baseConfigSchema>;
