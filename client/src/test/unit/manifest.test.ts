import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { OWN_COMMANDS } from '../../core/lifecycle';
import { SETTING_KEYS } from '../../core/settings';
import { CLIENT_ROOT, readJson } from '../helpers';

interface Manifest {
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: string | boolean; restrictedConfigurations?: string[] } };
  contributes: {
    configuration: { properties: Record<string, Record<string, unknown>> };
    commands: { command: string; title: string; category?: string }[];
  };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  [k: string]: unknown;
}

const pkg = readJson('package.json') as unknown as Manifest;
const nlsEn = readJson('package.nls.json') as Record<string, string>;
const nlsZh = readJson('package.nls.zh-cn.json') as Record<string, string>;

function minVersion(range: string): number[] {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(range);
  assert.ok(m, `no version in ${range}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function cmp(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) {
      return a[i] - b[i];
    }
  }
  return 0;
}

test('every setting the code reads is declared, with zh and en descriptions', () => {
  const declared = Object.keys(pkg.contributes.configuration.properties).sort();
  assert.deepEqual(declared, SETTING_KEYS.map((k) => `ptlint.${k}`).sort());
  for (const [key, prop] of Object.entries(pkg.contributes.configuration.properties)) {
    const desc = prop.markdownDescription as string;
    const m = /^%(.+)%$/.exec(desc);
    assert.ok(m, `${key} description is localized`);
    assert.ok(nlsEn[m[1]], `${key}: English text`);
    assert.match(nlsZh[m[1]], /[\u4e00-\u9fff]/, `${key}: Chinese text`);
  }
});

test('every %key% in package.json exists in both nls files, and no text is left unused', () => {
  const text = readFileSync(path.join(CLIENT_ROOT, 'package.json'), 'utf8');
  const used = new Set([...text.matchAll(/"%([\w.-]+)%"/g)].map((m) => m[1]));
  assert.deepEqual([...used].sort(), Object.keys(nlsEn).sort());
  assert.deepEqual(Object.keys(nlsZh).sort(), Object.keys(nlsEn).sort());
  assert.match(nlsZh.displayName, /PyTorch 代码检查/);
});

test('commands contributed are the ones the extension registers, each titled in both languages', () => {
  assert.deepEqual(pkg.contributes.commands.map((c) => c.command).sort(), [...OWN_COMMANDS].sort());
  for (const c of pkg.contributes.commands) {
    const key = /^%(.+)%$/.exec(c.title)?.[1] ?? '';
    assert.ok(nlsEn[key] && nlsZh[key], c.command);
    assert.equal(c.category, 'ptlint');
  }
  assert.equal(nlsZh['command.searchDocs'], '搜索 ptlint 文档…');
});

test('activates on Python files and Jupyter notebooks; entry point is the bundle', () => {
  assert.ok(pkg.activationEvents.includes('onLanguage:python'));
  assert.ok(pkg.activationEvents.includes('onNotebook:jupyter-notebook'));
  assert.equal(pkg.main, './dist/extension.js');
});

test('untrusted workspaces: limited support, probe and interpreter restricted', () => {
  const u = pkg.capabilities.untrustedWorkspaces;
  assert.equal(u.supported, 'limited');
  assert.deepEqual(u.restrictedConfigurations?.sort(), ['ptlint.importStrategy', 'ptlint.interpreter', 'ptlint.probe.enable']);
});

test('multi-root: linting settings are per folder, the interpreter per machine, the server per window', () => {
  const props = pkg.contributes.configuration.properties;
  const scope = (k: string) => props[`ptlint.${k}`].scope;
  for (const k of ['lang', 'select', 'ignore', 'severity', 'lintOnChange', 'lintOnSave', 'inlayHints.shapes', 'probe.enable', 'probe.device']) {
    assert.equal(scope(k), 'resource', k);
  }
  assert.equal(scope('interpreter'), 'machine-overridable');
  for (const k of ['enable', 'importStrategy', 'trace.server']) {
    assert.equal(scope(k), 'window', k);
  }
  assert.deepEqual(props['ptlint.importStrategy'].enum, ['useBundled', 'fromEnvironment']);
  assert.equal(props['ptlint.importStrategy'].default, 'useBundled');
});

test('`npm run package` bundles the Python server and builds a platform-specific .vsix', () => {
  const scripts = pkg.scripts as Record<string, string>;
  assert.equal(scripts.package, 'node scripts/package.mjs');
  const script = readFileSync(path.join(CLIENT_ROOT, 'scripts', 'package.mjs'), 'utf8');
  assert.match(script, /bundlePython\(\)/);
  assert.match(script, /'--target'/);
  const ignore = readFileSync(path.join(CLIENT_ROOT, '.vscodeignore'), 'utf8');
  assert.match(ignore, /^!bundled\/libs\/\*\*$/m);
});

test('engines.vscode is new enough for vscode-languageclient 9 and @types/vscode', () => {
  const lc = JSON.parse(
    readFileSync(path.join(CLIENT_ROOT, 'node_modules', 'vscode-languageclient', 'package.json'), 'utf8'),
  ) as { version: string; engines: { vscode: string } };
  assert.match(lc.version, /^9\./);
  const engine = minVersion(pkg.engines.vscode);
  assert.ok(cmp(engine, minVersion(lc.engines.vscode)) >= 0, `${pkg.engines.vscode} < client's ${lc.engines.vscode}`);
  // vsce refuses @types/vscode newer than the engine
  assert.ok(cmp(minVersion(pkg.devDependencies['@types/vscode']), engine) <= 0);
  assert.match(pkg.dependencies['vscode-languageclient'], /^\^?9\./);
});
