// Runs the compiled node:test files of one suite (unit or e2e) from out/test/<suite>/.
// Writes a JUnit report to out/test-results/<suite>.xml for the pytest wrapper to read,
// and the spec report to stdout.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const suite = process.argv[2] ?? 'unit';
const dir = join('out', 'test', suite);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.js'))
  .map((f) => join(dir, f));
if (!files.length) {
  console.error(`no test files in ${dir}`);
  process.exit(1);
}
mkdirSync(join('out', 'test-results'), { recursive: true });
const res = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=junit',
    `--test-reporter-destination=${join('out', 'test-results', `${suite}.xml`)}`,
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
