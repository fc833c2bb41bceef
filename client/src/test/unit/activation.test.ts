// Activates the real bundle (dist/extension.js, built by `npm run build`) against a fake
// `vscode` and checks what a user would see when the server cannot start.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { OWN_COMMANDS } from '../../core/lifecycle';
import { FakeVscode, loadWithFake, previewedPage, until } from '../fakeVscode';
import { CLIENT_ROOT, ptlintPython } from '../helpers';

interface Extension {
  activate(ctx: unknown): Promise<void>;
  deactivate(): Promise<void>;
}

const BUNDLE = path.join(CLIENT_ROOT, 'dist', 'extension.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'ptlint-activate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function context(root: string) {
  return { subscriptions: [] as { dispose(): void }[], extensionUri: { fsPath: root } };
}

/** An extension folder whose bundled/libs has only the manifest (no libraries), or nothing at all. */
function extensionRoot(name: string, pythons?: string[]): string {
  const root = path.join(tmp, name);
  mkdirSync(path.join(root, 'bundled', 'libs'), { recursive: true });
  if (pythons) {
    writeFileSync(path.join(root, 'bundled', 'libs', 'ptlint-bundle.json'), JSON.stringify({ ptlint: '0', target: 'x', pythons }));
  }
  return root;
}

async function activate(fake: FakeVscode, root = CLIENT_ROOT): Promise<Extension> {
  const ext = loadWithFake<Extension>(BUNDLE, fake);
  await ext.activate(context(root));
  return ext;
}

test('disabled: every command is registered, no server, status says so', async () => {
  const fake = new FakeVscode({ settings: { 'ptlint.enable': false } });
  const ext = await activate(fake);
  assert.deepEqual([...fake.commands.keys()].sort(), [...OWN_COMMANDS].sort());
  assert.equal(fake.status.text, '$(circle-slash) ptlint');
  assert.equal(fake.status.visible, true);
  assert.match(fake.status.tooltip, /已禁用/);
  assert.deepEqual(fake.shown, []);
  await ext.deactivate();
});

test('missing interpreter: one notification with a button to the setting, no restart loop', async () => {
  const python = path.join(tmp, 'nowhere', 'python');
  const fake = new FakeVscode({
    settings: { 'ptlint.interpreter': python },
    click: (s) => s.buttons[0],
  });
  const ext = await activate(fake);
  await until(() => fake.executed.length > 0, 'the click on the first button');
  assert.equal(fake.shown.length, 1);
  assert.equal(fake.shown[0].level, 'error');
  assert.ok(fake.shown[0].message.includes(python));
  assert.match(fake.shown[0].message, /ptlint\.interpreter/);
  assert.deepEqual(fake.shown[0].buttons, ['打开设置', '查看输出']);
  assert.deepEqual(fake.executed[0], ['workbench.action.openSettings', 'ptlint.interpreter']);
  assert.equal(fake.status.text, '$(error) ptlint');

  // a settings change restarts it: still broken, but the user is not told twice
  fake.changeSettings({ 'ptlint.lintOnChange': false, 'ptlint.interpreter': python });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(fake.shown.length, 1);
  // an explicit restart is the user asking: they get the answer again
  await fake.commands.get('ptlint.restart')!();
  assert.equal(fake.shown.length, 2);
  await ext.deactivate();
});

test('ptlint not installed: the notification gives the install command and copies it', async () => {
  const venv = path.join(tmp, 'bare');
  execFileSync(ptlintPython(), ['-m', 'venv', '--without-pip', venv]);
  const python = path.join(venv, 'bin', 'python');
  const install = `${python} -m pip install 'ptlint @ git+<repository URL>'`;
  const fake = new FakeVscode({
    settings: { 'ptlint.interpreter': python, 'ptlint.importStrategy': 'fromEnvironment' },
    click: (s) => s.buttons[0],
  });
  // a development build without bundled/libs: nothing to switch to
  const ext = await activate(fake, extensionRoot('no-bundle'));
  await until(() => fake.clipboard !== '', 'the install command on the clipboard');
  const err = fake.shown.find((s) => s.level === 'error');
  assert.ok(err);
  assert.ok(err.message.includes(install), err.message);
  assert.doesNotMatch(err.message, /pip install ptlint\b(?! @)/);
  assert.match(err.message, /没有安装/);
  assert.deepEqual(err.buttons, ['复制安装命令', '打开设置']);
  assert.equal(fake.clipboard, install);
  assert.equal(fake.status.text, '$(error) ptlint');
  assert.match(fake.status.tooltip, /未安装/);
  await ext.deactivate();
});

test('not installed with fromEnvironment: the first button switches to the bundled server', async () => {
  const venv = path.join(tmp, 'bare-switch');
  execFileSync(ptlintPython(), ['-m', 'venv', '--without-pip', venv]);
  const python = path.join(venv, 'bin', 'python');
  const fake = new FakeVscode({
    settings: { 'ptlint.interpreter': python, 'ptlint.importStrategy': 'fromEnvironment' },
    click: (s) => s.buttons[0],
  });
  const ext = await activate(fake, extensionRoot('manifest-only', ['3.10', '3.13']));
  await until(() => fake.updated.length > 0, 'the setting written');
  const err = fake.shown.find((s) => s.level === 'error')!;
  assert.deepEqual(err.buttons, ['使用自带的服务器', '复制安装命令', '打开设置']);
  assert.deepEqual(fake.updated[0], ['ptlint.importStrategy', 'useBundled', 1]);
  // the change restarts the server with the bundled libraries first on PYTHONPATH
  await until(() => fake.output.some((l) => l.includes('check failed')) && fake.output.filter((l) => l.includes('interpreter:')).length >= 2, 'the restart');
  await ext.deactivate();
});

test('bundled server and a Python outside its range: one clear message naming both versions', async () => {
  const fake = new FakeVscode({ settings: { 'ptlint.interpreter': ptlintPython() } });
  const ext = await activate(fake, extensionRoot('future-only', ['3.98', '3.99']));
  await until(() => fake.shown.length > 0, 'a notification');
  assert.equal(fake.shown.length, 1);
  assert.match(fake.shown[0].message, /自带的 ptlint 服务器支持 Python 3\.98–3\.99，而 .* 是 Python 3\.\d+/);
  assert.deepEqual(fake.shown[0].buttons, ['打开设置', '查看输出']);
  assert.equal(fake.status.text, '$(error) ptlint');
  await ext.deactivate();
});

test('the status item shows for Python and notebook editors only', async () => {
  const fake = new FakeVscode({ settings: { 'ptlint.enable': false }, activeLanguage: 'markdown' });
  const ext = await activate(fake);
  assert.equal(fake.status.visible, false);
  fake.switchEditor('python');
  assert.equal(fake.status.visible, true);
  fake.switchEditor('json');
  assert.equal(fake.status.visible, false);
  fake.switchEditor(undefined);
  assert.equal(fake.status.visible, false);
  await ext.deactivate();
});

test('English: the same notification in English with lang = en', async () => {
  const fake = new FakeVscode({ settings: { 'ptlint.interpreter': path.join(tmp, 'nope'), 'ptlint.lang': 'en' } });
  const ext = await activate(fake);
  await until(() => fake.shown.length > 0, 'a notification');
  assert.match(fake.shown[0].message, /^Cannot run the Python interpreter/);
  assert.deepEqual(fake.shown[0].buttons, ['Open setting', 'Show output']);
  await ext.deactivate();
});

test('the probe command refuses to run in an untrusted workspace', async () => {
  const fake = new FakeVscode({
    settings: { 'ptlint.enable': false, 'ptlint.probe.enable': true },
    trusted: false,
    click: (s) => s.buttons[0],
  });
  const ext = await activate(fake);
  await fake.commands.get('ptlint.runProbe')!();
  assert.equal(fake.shown.length, 1);
  assert.match(fake.shown[0].message, /只在受信任的工作区中可用/);
  assert.deepEqual(fake.executed, [['workbench.trust.manage']]);
  await ext.deactivate();
});

test('explain a rule without a server: quick pick over `ptlint rules`, page from `ptlint explain`', async () => {
  const fake = new FakeVscode({
    settings: { 'ptlint.enable': false, 'ptlint.interpreter': ptlintPython() },
    pick: (items) => items.find((i) => i.label === 'PT017'),
  });
  const ext = await activate(fake);
  await fake.commands.get('ptlint.explainRule')!();
  assert.ok(fake.picks[0].some((i) => i.label === 'PT017' && i.description === 'softmax-without-dim'));
  const page = previewedPage(fake);
  assert.match(page ?? '', /# PT017 softmax-without-dim/);
  assert.match(page ?? '', /## 它检查什么/);
  assert.deepEqual(fake.shown, []);
  await ext.deactivate();
});

test('with ptlint installed the real LanguageClient starts the server and reports running', async () => {
  const fake = new FakeVscode({
    settings: { 'ptlint.interpreter': ptlintPython(), 'ptlint.lang': 'en' },
    input: 'zero_grad',
    pick: (items) => items[0],
  });
  const ext = await activate(fake);
  try {
    await runningServerChecks(fake);
  } finally {
    await ext.deactivate();
  }
  assert.equal(fake.status.text, '$(circle-slash) ptlint');
  // the output channel is closed last, after the client stopped writing to it
  assert.equal(fake.outputDisposed, true);
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(fake.writesAfterClose, []);
});

async function runningServerChecks(fake: FakeVscode): Promise<void> {
  await until(() => fake.status.text === '$(check) ptlint', `running status (now ${fake.status.text})`, 30_000);
  assert.match(fake.status.tooltip, /ptlint \d+\.\d+\.\d+: running/);
  assert.ok(fake.output.some((l) => l.includes(`interpreter: ${ptlintPython()} (setting)`)), fake.output.join('\n'));
  assert.deepEqual(fake.shown, []);

  // "Search ptlint Docs…" goes through the server's ptlint.searchDocs
  await fake.commands.get('ptlint.searchDocsPrompt')!();
  assert.deepEqual(fake.shown, []);
  assert.ok(fake.picks[0]?.length, 'search results offered');
  assert.ok(previewedPage(fake), 'the picked result opens in the preview');
  // "Explain a Rule…" with a code (as from a link) takes the page from the server's ptlint.explain
  await fake.commands.get('ptlint.explainRule')!('PT017');
  assert.match(previewedPage(fake) ?? '', /## What it finds/);

  // a restart is quiet: no error lines from the client, no "exited with code 0"
  await fake.commands.get('ptlint.restart')!();
  await until(() => fake.status.text === '$(check) ptlint', `running again (now ${fake.status.text}): ${fake.output.slice(-12).join(" | ")} ${JSON.stringify(fake.shown)}`, 30_000);
  const errors = fake.output.filter((l) => /\[Error|exited|Channel has been closed|stop:/.test(l));
  assert.deepEqual(errors, []);
}
