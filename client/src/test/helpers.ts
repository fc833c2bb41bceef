// Paths and the Python used by the node:test suites.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** client/ (this file runs as client/out/test/helpers.js). */
export const CLIENT_ROOT = path.resolve(__dirname, '..', '..');
export const REPO_ROOT = path.resolve(CLIENT_ROOT, '..');

/** The Python with ptlint installed: $PTLINT_PYTHON (set by the pytest wrapper), else the repo's venv. */
export function ptlintPython(): string {
  if (process.env.PTLINT_PYTHON) {
    return process.env.PTLINT_PYTHON;
  }
  const venv = path.join(REPO_ROOT, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}

export function readJson(rel: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(CLIENT_ROOT, rel), 'utf8')) as Record<string, unknown>;
}

/** The default of every `ptlint.*` setting declared in package.json, as a nested object. */
export function manifestDefaults(): Record<string, unknown> {
  const pkg = readJson('package.json') as {
    contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
  };
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(pkg.contributes.configuration.properties)) {
    const parts = key.replace(/^ptlint\./, '').split('.');
    let cur = out;
    for (const p of parts.slice(0, -1)) {
      cur = (cur[p] ??= {}) as Record<string, unknown>;
    }
    cur[parts[parts.length - 1]] = prop.default;
  }
  return out;
}
