import fc from 'fast-check';
import { bearer, openCaptureApp, storedCounts, type CaptureTestApp } from '../support.js';

// Throws random and hostile bodies at every POST: the answer is a 2xx for valid input or a 4xx, never a
// 5xx, and a rejected request leaves leads, activities, outbox and idempotency keys exactly as they were.

const ENTRY_PATHS = ['phone', 'web_form', 'estimate_request', 'chat', 'referral', 'other'];
const SPECIAL_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'entryPath', 'contact', 'email', 'phone', 'leads', 'type', 'context'];

const key = fc.oneof(fc.constantFrom(...SPECIAL_KEYS), fc.string({ maxLength: 8 }));
const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udc00', '𝒜𝒹𝒶', '<script>', "'; DROP TABLE leads;--", '%00', 'Europe/Paris', '+1 415 555 2671'),
  fc.string({ minLength: 400, maxLength: 12_000 }),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}));

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, value);
const phoneish = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 2_000_000, max: 9_999_999 }).map((n) => `+1 415 ${n}`) },
  fc.constantFrom('(415) 555-2671', '+33 1 42 68 53 00', '+44 20 7946 0958'),
  fc.stringMatching(/^\+?[0-9 ()-]{0,18}$/),
);
// The contract's email rule is stricter than RFC 5322, so fc.emailAddress() alone would rarely pass.
const emailish = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.stringMatching(/^[a-zA-Z0-9]{1,8}([._+-][a-zA-Z0-9]{1,8}){0,2}$/), fc.stringMatching(/^[a-z0-9]{1,12}$/)).map(([user, host]) => `${user}@${host}.example`) },
  fc.emailAddress(),
);
// Plausible text: printable most of the time, any code point (lone surrogates included) sometimes.
const word = fc.oneof({ weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }) });
const optional = { requiredKeys: [] as [] };

/** Leads that are valid or nearly so, so runs reach normalisation and the database. */
const validLead = fc.record(
  {
    entryPath: fc.constantFrom(...ENTRY_PATHS),
    contact: fc.record({ email: emailish, phone: phoneish, name: word, preferredChannel: fc.constantFrom('phone', 'email') }, optional),
    timeZone: fc.option(fc.constantFrom('Europe/Paris', 'America/Chicago', 'Etc/GMT+5', 'UTC', 'US/Eastern')),
    company: fc.record({ name: word, size: fc.constantFrom('11-50', '1000+'), country: fc.constantFrom('GB', 'FR') }, optional),
    context: fc.record({ painPoints: fc.array(word, { maxLength: 3 }), timeline: word, stakeholders: fc.array(fc.record({ name: word, isDecisionMaker: fc.boolean() }, optional), { maxLength: 2 }) }, optional),
    attributes: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.oneof(word, fc.integer(), fc.boolean()), { maxKeys: 4 }),
    externalIds: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), word, { maxKeys: 2 }),
    source: fc.record({ system: word, campaign: word }, { requiredKeys: ['system'] }),
  },
  { requiredKeys: ['entryPath'] },
);

const LEAD_PATHS = ['entryPath', 'contact', 'contact.email', 'contact.phone', 'contact.name', 'timeZone', 'company', 'company.size', 'context', 'context.painPoints', 'context.stakeholders', 'attributes', 'attributes.k', 'externalIds.k', 'source', 'source.system', 'extra'];

/** Sets `path` (creating parents) on a copy: one hostile value inside an otherwise valid body. */
function mutate(target: unknown, path: string, replacement: unknown): unknown {
  const copy = structuredClone(target) as Record<string, unknown>;
  const keys = path.split('.');
  let node: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  Object.defineProperty(node, keys.at(-1)!, { value: replacement, enumerable: true, writable: true, configurable: true });
  return copy;
}

const mutated = <T>(valid: fc.Arbitrary<T>, paths: string[]) =>
  fc.tuple(valid, fc.constantFrom(...paths), fc.oneof(value, text)).map(([v, path, bad]) => mutate(v, path, bad));
const leadish = fc.oneof(validLead, mutated(validLead, LEAD_PATHS));

const actor = fc.record({ type: fc.constantFrom('system', 'integration'), id: word });
const common = { occurredAt: fc.date({ min: new Date('2000-01-01'), max: new Date(), noInvalidDate: true }).map((d) => d.toISOString()), actor };
const validActivity = fc.oneof(
  fc.record({ type: fc.constant('contact_attempted'), channel: fc.constantFrom('phone', 'email'), outcome: fc.constantFrom('no_answer', 'voicemail'), ...common }, { requiredKeys: ['type', 'channel', 'outcome'] }),
  fc.record({ type: fc.constant('contacted'), channel: fc.constantFrom('phone', 'sms'), ...common }, { requiredKeys: ['type', 'channel'] }),
  fc.record({ type: fc.constant('note'), text: word, ...common }, { requiredKeys: ['type', 'text'] }),
  fc.record({ type: fc.constant('qualified'), qualification: fc.record({ budget: word, framework: fc.constantFrom('BANT', 'MEDDIC') }, optional) }),
  fc.record({ type: fc.constant('disqualified'), reason: fc.constantFrom('no_budget', 'spam'), detail: word }, { requiredKeys: ['type', 'reason'] }),
  fc.record({ type: fc.constant('closed'), outcome: fc.constantFrom('won', 'lost', 'nurture'), value: fc.record({ amount: fc.double({ min: 0, max: 1e9, noNaN: true }), currency: fc.constant('EUR') }) }, { requiredKeys: ['type', 'outcome'] }),
);
const ACTIVITY_PATHS = ['type', 'channel', 'outcome', 'text', 'qualification', 'qualification.budget', 'reason', 'value', 'value.amount', 'occurredAt', 'actor', 'actor.id', 'extra'];
const activityish = fc.oneof(validActivity, mutated(validActivity, ACTIVITY_PATHS));

const nested = fc.integer({ min: 10, max: 200_000 }).chain((depth) =>
  fc.constantFrom('['.repeat(depth) + ']'.repeat(depth), '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
);
const rawJson = fc.constantFrom(
  '{"__proto__":{"polluted":true},"entryPath":"chat"}',
  '{"constructor":{"prototype":{"polluted":true}},"entryPath":"chat"}',
  '{"entryPath":"chat","contact":{"__proto__":{"email":"x@y.z"}}}',
  '{"entryPath":"chat"', 'null', '[]', '"lead"', '1e400', '{"entryPath":"chat","attributes":{"big":1e400}}',
);

/** A raw JSON request body: random JSON, hostile raw text, or a serialised near-valid object. */
const body = (near: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 6, arbitrary: near.map((v) => JSON.stringify(v)) },
    fc.anything({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc.json({ maxDepth: 3 }),
    nested,
    rawJson,
  );

describe('hostile input (property-based)', () => {
  let t: CaptureTestApp;
  let leadId: string;

  beforeAll(async () => {
    t = await openCaptureApp();
    leadId = await newLead();
  });
  afterAll(() => t.close());

  const newLead = async (): Promise<string> =>
    (await t.app.inject({ method: 'POST', url: '/v1/leads', headers: bearer(t.keys.write), payload: { entryPath: 'chat' } })).json().leadId;

  async function check(url: string, payload: string, headers: Record<string, string> = {}): Promise<void> {
    const before = await storedCounts(t.harness);
    const res = await t.app.inject({ method: 'POST', url, payload, headers: { ...bearer(t.keys.write), 'content-type': 'application/json', ...headers } });
    if (res.statusCode >= 500 || res.statusCode < 200) throw new Error(`${res.statusCode} for ${payload.slice(0, 300)}: ${res.body}`);
    if (res.statusCode >= 400) {
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(await storedCounts(t.harness)).toEqual(before);
    }
  }

  it('POST /v1/leads', async () => {
    await fc.assert(fc.asyncProperty(body(leadish), (payload) => check('/v1/leads', payload)), { numRuns: 250 });
  });

  it('POST /v1/leads/batch', async () => {
    const batch = fc.oneof(fc.record({ leads: fc.array(fc.oneof(leadish, value), { maxLength: 12 }) }), fc.record({ leads: value }), leadish);
    await fc.assert(fc.asyncProperty(body(batch), (payload) => check('/v1/leads/batch', payload)), { numRuns: 150 });
  });

  it('POST /v1/leads/{id}/activities, with random ids too', async () => {
    // Mostly a fresh lead, so transitions start from `new`; sometimes one lead that piles up history.
    const id = fc.oneof({ weight: 3, arbitrary: fc.constant('fresh') }, fc.constant(leadId), fc.uuid(), fc.string({ maxLength: 40 }).map(encodeURIComponent));
    await fc.assert(
      fc.asyncProperty(id, body(activityish), async (target, payload) => {
        const lead = target === 'fresh' ? await newLead() : target;
        await check(`/v1/leads/${lead}/activities`, payload);
      }),
      { numRuns: 250 },
    );
  });

  it('odd headers: idempotency keys of any shape, other content types', async () => {
    const headers = fc.record({ 'idempotency-key': fc.string({ maxLength: 300 }), 'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16') }, { requiredKeys: [] });
    await fc.assert(fc.asyncProperty(headers, body(leadish), (extra, payload) => check('/v1/leads', payload, extra)), { numRuns: 100 });
  });
});
