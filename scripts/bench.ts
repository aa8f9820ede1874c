// `pnpm bench <name> [args]`: runs scripts/bench/<name>.bench.ts against the real infrastructure.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('./bench/', import.meta.url));
const available = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace('.bench.ts', ''));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: pnpm bench <${available.join('|')}> [options]`);
  process.exit(2);
}
const file = `${dir}${name}.bench.ts`;
if (!existsSync(file)) process.exit(2);
process.argv.splice(2, 1);
await import(file);
