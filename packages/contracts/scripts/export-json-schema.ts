// Writes json-schema/<type>.json and envelope.json from the zod catalog. Run after changing a schema:
//   pnpm --filter @baton/contracts export-json-schema
// A test fails when the committed files differ from what this would write.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventJsonSchemas } from '../src/index.js';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'json-schema');
mkdirSync(outDir, { recursive: true });

const schemas = eventJsonSchemas();
// Remove files of types that left the catalog so the folder always mirrors it exactly.
for (const file of readdirSync(outDir)) {
  if (file.endsWith('.json') && !Object.hasOwn(schemas, file.slice(0, -'.json'.length))) rmSync(join(outDir, file));
}
for (const [name, schema] of Object.entries(schemas)) {
  writeFileSync(join(outDir, `${name}.json`), `${JSON.stringify(schema, null, 2)}\n`);
}
console.log(`wrote ${Object.keys(schemas).length} JSON Schema files to ${outDir}`);
