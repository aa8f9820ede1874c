import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeEvent, eventJsonSchemas, eventTypes } from '../src/index.js';

const jsonSchemaDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'json-schema');
const regenerate = 'run `pnpm --filter @baton/contracts export-json-schema`';

describe('JSON Schema export', () => {
  const schemas = eventJsonSchemas();

  it('given the catalog, when exporting, then there is one schema per type plus the envelope', () => {
    expect(Object.keys(schemas).sort()).toEqual(['envelope', ...eventTypes].sort());
  });

  it(`given the committed files, when compared to eventJsonSchemas(), then they are identical (else ${regenerate})`, () => {
    const files = readdirSync(jsonSchemaDir).filter((file) => file.endsWith('.json'));
    expect(files.sort()).toEqual(Object.keys(schemas).map((name) => `${name}.json`).sort());
    for (const [name, schema] of Object.entries(schemas)) {
      expect(readFileSync(join(jsonSchemaDir, `${name}.json`), 'utf8')).toBe(`${JSON.stringify(schema, null, 2)}\n`);
    }
  });

  it.each(eventTypes)('given the %s schema, when reading its example, then decodeEvent accepts it', (type) => {
    const schema = schemas[type] as { $schema: string; examples: unknown[] };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.examples).toHaveLength(1);
    const decoded = decodeEvent(schema.examples[0]);
    expect(decoded.ok && decoded.event.type).toBe(type);
  });
});
