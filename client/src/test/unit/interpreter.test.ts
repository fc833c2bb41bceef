import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import {
  checkCommand,
  classifyCheckFailure,
  expandPath,
  installCommand,
  pythonEnv,
  resolveInterpreter,
  serverCommand,
  serverPlan,
  unsupportedVersion,
} from '../../core/interpreter';
import { run } from '../../core/process';
import { CLIENT_ROOT, ptlintPython } from '../helpers';

const tmp = mkdtempSync(path.join(tmpdir(), 'ptlint-client-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('interpreter resolution order: setting, then Python extension, then python3', () => {
  const base = { platform: 'linux', workspaceFolder: '/ws', home: '/home/u' };
  assert.deepEqual(resolveInterpreter({ ...base, setting: '/opt/py/bin/python', pythonExtension: '/ws/.venv/bin/python' }), {
    command: '/opt/py/bin/python',
    source: 'setting',
  });
  assert.deepEqual(resolveInterpreter({ ...base, setting: '  ', pythonExtension: '/ws/.venv/bin/python' }), {
    command: '/ws/.venv/bin/python',
    source: 'python-extension',
  });
  assert.deepEqual(resolveInterpreter({ ...base, setting: '' }), { command: 'python3', source: 'default' });
  assert.deepEqual(resolveInterpreter({ ...base, platform: 'win32', setting: '' }), { command: 'python', source: 'default' });
});

test('the interpreter setting expands ${workspaceFolder}, ${userHome} and ~', () => {
  assert.equal(expandPath('${workspaceFolder}/.venv/bin/python', '/ws', '/home/u'), '/ws/.venv/bin/python');
  assert.equal(expandPath('~/envs/t/bin/python', '/ws', '/home/u'), '/home/u/envs/t/bin/python');
  assert.equal(expandPath('${userHome}/py', '/ws', '/home/u'), '/home/u/py');
  // no folder open: the variable stays, and the start fails with a clear message
  assert.equal(expandPath('${workspaceFolder}/py', undefined, '/home/u'), '${workspaceFolder}/py');
  assert.equal(resolveInterpreter({ setting: '${workspaceFolder}/py', workspaceFolder: '/w', platform: 'linux' }).command, '/w/py');
});

test('server command line is `<python> -m ptlint.server`', () => {
  assert.deepEqual(serverCommand('/x/python'), { command: '/x/python', args: ['-m', 'ptlint.server'] });
});

test('install command is quoted for the shell', () => {
  // ptlint is not on PyPI: the command installs from the git repository
  assert.equal(installCommand('/usr/bin/python3', 'linux'), "/usr/bin/python3 -m pip install 'ptlint @ git+<repository URL>'");
  assert.equal(installCommand('/home/u/my envs/py', 'linux'), "'/home/u/my envs/py' -m pip install 'ptlint @ git+<repository URL>'");
  assert.equal(
    installCommand('C:\\Program Files\\Python\\python.exe', 'win32'),
    '"C:\\Program Files\\Python\\python.exe" -m pip install "ptlint @ git+<repository URL>"',
  );
});

test('check passes in an interpreter with ptlint and prints its version', async () => {
  const res = await run(checkCommand(ptlintPython()), CLIENT_ROOT);
  assert.equal(res.ok, true, res.stderr);
  assert.match(res.stdout.trim(), /^\d+\.\d+/);
});

test('a missing interpreter and a Python without ptlint are told apart', async () => {
  const missing = await run(checkCommand(path.join(tmp, 'no-such-python')), CLIENT_ROOT);
  assert.equal(missing.ok, false);
  assert.equal(classifyCheckFailure(missing.code, missing.stderr), 'interpreter-missing');

  // a real Python that lacks ptlint: a bare venv made from the test's Python
  const venv = path.join(tmp, 'bare');
  execFileSync(ptlintPython(), ['-m', 'venv', '--without-pip', venv]);
  const bare = await run(checkCommand(path.join(venv, 'bin', 'python')), CLIENT_ROOT);
  assert.equal(bare.ok, false);
  assert.equal(classifyCheckFailure(bare.code, bare.stderr), 'not-installed');

  assert.equal(classifyCheckFailure(1, 'Traceback ...\nSyntaxError: bad'), 'broken');
});

test('a ptlint/ folder in the working directory cannot stand in for the real package', async () => {
  const evil = path.join(tmp, 'evil');
  mkdirSync(path.join(evil, 'ptlint', 'server'), { recursive: true });
  const marker = path.join(tmp, 'PWNED');
  writeFileSync(path.join(evil, 'ptlint', '__init__.py'), `open(${JSON.stringify(marker)}, "w").write("x")\n__version__ = "evil"\n`);
  writeFileSync(path.join(evil, 'ptlint', 'server', '__init__.py'), '');
  const res = await run(checkCommand(ptlintPython()), evil);
  assert.equal(res.ok, true, res.stderr);
  assert.notEqual(res.stdout.trim(), 'evil');
  assert.equal(existsSync(marker), false);
});

test('import strategy: bundled when the build has a bundle, else the interpreter', () => {
  const manifest = { ptlint: '0.1.0', target: 'linux-x64', pythons: ['3.12', '3.10', '3.13', '3.11'] };
  assert.deepEqual(serverPlan('useBundled', '/ext/bundled/libs', manifest), {
    mode: 'bundled',
    libs: '/ext/bundled/libs',
    pythons: ['3.10', '3.13'],
  });
  assert.deepEqual(serverPlan('fromEnvironment', '/ext/bundled/libs', manifest), { mode: 'environment' });
  assert.deepEqual(serverPlan('useBundled', '/ext/bundled/libs', undefined), { mode: 'environment', noBundle: true });
});

test('bundled: the libraries go first on PYTHONPATH, before what the user had', () => {
  assert.equal(pythonEnv({}, '/ext/libs').PYTHONPATH, '/ext/libs');
  assert.equal(pythonEnv({ PYTHONPATH: '/mine' }, '/ext/libs').PYTHONPATH, '/ext/libs:/mine');
  assert.equal(pythonEnv({ PYTHONPATH: '/mine' }).PYTHONPATH, '/mine');
  assert.equal(pythonEnv({}, '/ext/libs').PYTHONSAFEPATH, '1');
});

test('bundled check: a Python outside the bundle\'s range is named, not an import error', async () => {
  const res = await run(checkCommand(ptlintPython(), ['3.98', '3.99']), CLIENT_ROOT);
  assert.equal(res.ok, false);
  assert.equal(classifyCheckFailure(res.code, res.stderr), 'unsupported-python');
  assert.match(unsupportedVersion(res.stderr) ?? '', /^3\.\d+$/);
  const ok = await run(checkCommand(ptlintPython(), ['3.0', '3.99']), CLIENT_ROOT);
  assert.equal(ok.ok, true, ok.stderr);
});
