// Activates the real bundle (dist/extension.js, built by `npm run build`) against a fake
// `vscode` and checks what a user would see when the server cannot start.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

function context() {
  return { subscriptions: [] as { dispose(): void }[], extensionUri: { fsPath: CLIENT_ROOT } };
}

async function activate(fake: FakeVscode): Promise<Extension> {
  const ext = loadWithFake<Extension>(BUNDLE, fake);
  await ext.activate(context());
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
  const fake = new FakeVscode({ settings: { 'ptlint.interpreter': python }, click: (s) => s.buttons[0] });
  const ext = await activate(fake);
  await until(() => fake.clipboard !== '', 'the install command on the clipboard');
  const err = fake.shown.find((s) => s.level === 'error');
  assert.ok(err);
  assert.ok(err.message.includes(`${python} -m pip install ptlint`), err.message);
  assert.match(err.message, /没有安装/);
  assert.deepEqual(err.buttons, ['复制安装命令', '打开设置']);
  assert.equal(fake.clipboard, `${python} -m pip install ptlint`);
  assert.equal(fake.status.text, '$(error) ptlint');
  assert.match(fake.status.tooltip, /未安装/);
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
  await ext.deactivate();
  assert.equal(fake.status.text, '$(circle-slash) ptlint');
});
