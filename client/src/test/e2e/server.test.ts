// End to end: the real `<python> -m ptlint.server`, started with the extension's command
// line (serverCommand, pythonEnv) and initializationOptions (settingsFromObject →
// toInitializationOptions), driven over stdio with vscode-languageserver-protocol.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CodeAction, CodeLens, Diagnostic, InlayHint } from 'vscode-languageserver-protocol';
import { explainPage, explainParams, parseSearchResults, searchDocsParams } from '../../core/docs';
import { probeArgs, probeError } from '../../core/probe';
import { settingsFromObject, toInitializationOptions } from '../../core/settings';
import { CLIENT_ROOT, ptlintPython } from '../helpers';
import { applyEdit, hoverText, LspSession } from '../lspClient';

const BUGGY = [
  'import numpy as np',
  'import torch',
  'import torch.nn.functional as F',
  '',
  'logits = torch.randn(4, 10)',
  'probs = F.softmax(logits)',
  'arr = np.ones(3)',
  't = torch.from_numpy(arr)',
  '',
].join('\n');

const MODEL = [
  'import torch',
  'from torch import nn',
  '',
  '',
  'class Net(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.conv1 = nn.Conv2d(1, 6, 5)',
  '        self.pool = nn.MaxPool2d(2, 2)',
  '        self.conv2 = nn.Conv2d(6, 16, 5)',
  '        self.fc1 = nn.Linear(16 * 5 * 5, 120)',
  '',
  '    def forward(self, x):',
  '        x = self.pool(torch.relu(self.conv1(x)))',
  '        x = self.pool(torch.relu(self.conv2(x)))',
  '        x = torch.flatten(x, 1)',
  '        return self.fc1(x)',
  '',
  '',
  'net = Net()',
  'out = net(torch.randn(1, 1, 32, 32))',
  '',
  'seq = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))',
  'y = seq(torch.randn(2, 3, 16, 16))',
  '',
].join('\n');

const ws = realpathSync(mkdtempSync(path.join(tmpdir(), 'ptlint-e2e-')));
const buggyPath = path.join(ws, 'buggy.py');
const modelPath = path.join(ws, 'model.py');
const buggyUri = 'file://' + buggyPath;
const modelUri = 'file://' + modelPath;
writeFileSync(buggyPath, BUGGY);
writeFileSync(modelPath, MODEL);
after(() => rmSync(ws, { recursive: true, force: true }));

const pt = (code: string) => (d: Diagnostic[]) => d.some((x) => x.code === code);

function position(text: string, needle: string, offset = 0) {
  const lines = text.split('\n');
  for (let line = 0; line < lines.length; line++) {
    const character = lines[line].indexOf(needle);
    if (character >= 0) {
      return { line, character: character + offset };
    }
  }
  throw new Error(`${needle} not in text`);
}

describe('VS Code profile (pull diagnostics), default settings', () => {
  // exactly what the extension sends when the user changed nothing
  const options = toInitializationOptions(settingsFromObject({}), true);
  let s: LspSession;

  before(async () => {
    s = new LspSession(ptlintPython(), options);
    await s.initialize('vscode', ws);
    await s.open(buggyUri, BUGGY);
  });
  after(() => s.close());

  test('server declares pull diagnostics, hover, code actions, inlay hints', () => {
    const caps = s.initializeResult!.capabilities;
    assert.ok(caps.diagnosticProvider, 'diagnosticProvider');
    assert.ok(caps.hoverProvider, 'hoverProvider');
    assert.ok(caps.codeActionProvider, 'codeActionProvider');
    assert.ok(caps.inlayHintProvider, 'inlayHintProvider');
  });

  test('pull: diagnostics for a buggy file, in Chinese, with code and source', async () => {
    const items = await s.pull(buggyUri, pt('PT017'));
    const d = items.find((x) => x.code === 'PT017')!;
    assert.equal(d.source, 'ptlint');
    assert.equal(d.range.start.line, 5);
    assert.match(d.message, /[\u4e00-\u9fff]/);
    assert.match(d.message, /dim/);
  });

  test('pull clients get no pushed diagnostics as well (no duplicates)', async () => {
    await s.pull(buggyUri, pt('PT017'));
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(
      s.pushed.filter((p) => p.uri === buggyUri && p.diagnostics.length > 0),
      [],
    );
  });

  test('hover on a diagnostic shows the rule docs in Chinese', async () => {
    const hover = await s.connection.sendRequest('textDocument/hover', {
      textDocument: { uri: buggyUri },
      position: position(BUGGY, 'F.softmax', 3),
    });
    const text = hoverText(hover);
    assert.match(text, /PT017 softmax-without-dim/);
    assert.match(text, /它检查什么/);
    assert.match(text, /如何修复/);
  });

  test('hover on torch.from_numpy explains shared memory in Chinese', async () => {
    const hover = await s.connection.sendRequest('textDocument/hover', {
      textDocument: { uri: buggyUri },
      position: position(BUGGY, 'from_numpy', 2),
    });
    const text = hoverText(hover);
    assert.match(text, /from_numpy/);
    assert.match(text, /共享内存/);
  });

  test('quick fix applied, then the file re-checks clean', async () => {
    const items = await s.pull(buggyUri, pt('PT017'));
    const diag = items.find((x) => x.code === 'PT017')!;
    const actions = (await s.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: buggyUri },
      range: diag.range,
      context: { diagnostics: [diag], only: ['quickfix'] },
    })) as CodeAction[];
    assert.ok(Array.isArray(actions) && actions.length > 0, 'code actions offered');
    let fix = actions.find((a) => a.kind === 'quickfix' && !/noqa|禁用/.test(a.title) && a.diagnostics?.some((d) => d.code === 'PT017'));
    assert.ok(fix, `a PT017 fix among ${actions.map((a) => a.title).join(' | ')}`);
    assert.match(fix.title, /[\u4e00-\u9fff]/);
    if (!fix.edit) {
      fix = (await s.connection.sendRequest('codeAction/resolve', fix)) as CodeAction;
    }
    assert.ok(fix.edit, 'the fix carries an edit');
    const fixed = applyEdit(BUGGY, buggyUri, fix.edit);
    assert.match(fixed, /F\.softmax\(logits, dim=/);
    await s.change(buggyUri, fixed, 2);
    const clean = await s.pull(buggyUri, (d) => !pt('PT017')(d));
    assert.deepEqual(clean.filter((d) => d.code === 'PT017'), []);
  });

  test('a settings change reaches the running server (lang = en)', async () => {
    const text = 'import torch\nimport torch.nn.functional as F\np = F.softmax(torch.randn(2, 3))\n';
    const uri = 'file://' + path.join(ws, 'lang.py');
    await s.open(uri, text);
    const zh = await s.pull(uri, pt('PT017'));
    assert.match(zh.find((d) => d.code === 'PT017')!.message, /[\u4e00-\u9fff]/);
    await s.reconfigure(toInitializationOptions(settingsFromObject({ lang: 'en' }), true));
    const en = await s.pull(uri, (d) => d.some((x) => x.code === 'PT017' && !/[\u4e00-\u9fff]/.test(x.message)));
    assert.match(en.find((d) => d.code === 'PT017')!.message, /dim/);
    await s.reconfigure(options);
  });

  test('inlay hints show output shapes of layer calls', async () => {
    await s.open(modelUri, MODEL);
    await s.pull(modelUri);
    const lines = MODEL.split('\n').length;
    const deadline = Date.now() + 8_000;
    let labels: string[] = [];
    while (Date.now() < deadline) {
      const hints = ((await s.connection.sendRequest('textDocument/inlayHint', {
        textDocument: { uri: modelUri },
        range: { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } },
      })) ?? []) as InlayHint[];
      labels = hints.map((h) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('')));
      if (labels.length) {
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(labels.some((l) => /6, 28, 28\)/.test(l)), `conv1 output (…, 6, 28, 28) in ${JSON.stringify(labels)}`);
    assert.ok(labels.some((l) => /8, 8, 8\)/.test(l)), `Sequential pool output (…, 8, 8, 8) in ${JSON.stringify(labels)}`);
  });

  test('doc search through the server command ptlint.searchDocs', async () => {
    const cmds = s.initializeResult!.capabilities.executeCommandProvider?.commands ?? [];
    assert.ok(cmds.includes('ptlint.searchDocs'), `server commands: ${cmds.join(', ')}`);
    const result = await s.connection.sendRequest('workspace/executeCommand', searchDocsParams('softmax 维度', 'zh'));
    const hits = parseSearchResults(result);
    assert.ok(hits.length > 0, JSON.stringify(result));
    assert.ok(hits.slice(0, 3).some((h) => h.key === 'PT017'), JSON.stringify(hits.slice(0, 3)));
  });

  test('rule page through the server command ptlint.explain', async () => {
    const zh = explainPage(await s.connection.sendRequest('workspace/executeCommand', explainParams('PT017', 'zh')));
    assert.ok(zh);
    assert.match(zh, /^# PT017 softmax-without-dim/);
    assert.match(zh, /## 它检查什么/);
    const en = explainPage(await s.connection.sendRequest('workspace/executeCommand', explainParams('PT017', 'en')));
    assert.match(en ?? '', /## What it finds/);
  });
});

describe('push-only client (no pull capability)', () => {
  const options = toInitializationOptions(settingsFromObject({ lang: 'zh' }), true);
  let s: LspSession;

  before(async () => {
    s = new LspSession(ptlintPython(), options);
    await s.initialize('push-only', ws);
  });
  after(() => s.close());

  test('push: diagnostics are published for an opened file', async () => {
    await s.open(buggyUri, BUGGY);
    const diags = await s.waitPushed(buggyUri, pt('PT017'));
    const d = diags.find((x) => x.code === 'PT017')!;
    assert.equal(d.source, 'ptlint');
    assert.match(d.message, /[\u4e00-\u9fff]/);
    assert.equal(s.initializeResult!.capabilities.diagnosticProvider, undefined);
  });

  test('push: a fixed file is re-published clean, not left stale', async () => {
    const fixed = BUGGY.replace('F.softmax(logits)', 'F.softmax(logits, dim=-1)');
    await s.change(buggyUri, fixed, 2);
    const diags = await s.waitPushed(buggyUri, (d) => !pt('PT017')(d));
    assert.deepEqual(diags.filter((d) => d.code === 'PT017'), []);
  });
});

describe('runtime probe, gated on workspace trust', () => {
  // trusted: the user turned the probe on; untrusted: the user set nothing, but the
  // folder's own pyproject.toml asks for the probe
  const proj = path.join(ws, 'untrusted-proj');
  const projModelUri = 'file://' + path.join(proj, 'model.py');
  const cases = {
    trusted: { settings: { probe: { enable: true, device: 'cpu' } }, trusted: true, uri: modelUri },
    untrusted: { settings: {}, trusted: false, uri: projModelUri },
  } as const;
  const sessions: Record<'trusted' | 'untrusted', LspSession | undefined> = { trusted: undefined, untrusted: undefined };
  const found: Record<'trusted' | 'untrusted', CodeLens[]> = { trusted: [], untrusted: [] };

  before(async () => {
    mkdirSync(proj, { recursive: true });
    writeFileSync(path.join(proj, 'pyproject.toml'), '[tool.ptlint.probe]\nenable = true\ndevice = "cpu"\n');
    writeFileSync(path.join(proj, 'model.py'), MODEL);
    await Promise.all(
      (['trusted', 'untrusted'] as const).map(async (which) => {
        const c = cases[which];
        const s = new LspSession(ptlintPython(), toInitializationOptions(settingsFromObject(c.settings), c.trusted));
        sessions[which] = s;
        await s.initialize('vscode', ws);
        await s.open(c.uri, MODEL);
        await s.pull(c.uri);
        found[which] = ((await s.connection.sendRequest('textDocument/codeLens', {
          textDocument: { uri: c.uri },
        })) ?? []) as CodeLens[];
      }),
    );
  });
  after(async () => {
    await Promise.all(Object.values(sessions).map((s) => s?.close()));
  });

  const probeLenses = (l: CodeLens[]) => l.filter((x) => x.command?.command === 'ptlint.runProbe');

  test('the probe code lens appears in a trusted workspace only, whatever pyproject.toml says', () => {
    assert.ok(probeLenses(found.trusted).length > 0, `trusted: ${JSON.stringify(found.trusted)}`);
    assert.deepEqual(probeLenses(found.untrusted), []);
  });

  test('trusted workspace: the code lens runs the probe with real torch on cpu', async () => {
    const lens = probeLenses(found.trusted)[0];
    assert.ok(lens, `probe lens among ${JSON.stringify(found.trusted)}`);
    assert.equal(lens.command!.title, '▶ 运行形状探针');
    // what the extension's ptlint.runProbe sends when VS Code runs the lens's command
    const args = probeArgs(lens.command!.arguments?.[0], undefined);
    assert.ok(args && args.uri === modelUri);
    const result = (await sessions.trusted!.connection.sendRequest('workspace/executeCommand', {
      command: 'ptlint.runProbe',
      arguments: [args],
    })) as { device?: string; torch?: string; models?: { name: string; status: string; disagreements: number }[] };
    assert.equal(probeError(result), undefined, JSON.stringify(result));
    assert.match(result.device ?? '', /cpu/);
    assert.match(result.torch ?? '', /^\d+\.\d+/);
    assert.ok(result.models?.length, JSON.stringify(result));
    // the shapes ptlint computed for this LeNet are what PyTorch really produces
    assert.deepEqual(
      result.models.map((m) => [m.name, m.status, m.disagreements]),
      [[args.model, 'ok', 0]],
    );
  });
});

// A notebook as VS Code opens it: notebookDocument/didOpen with vscode-notebook-cell URIs.
// VS Code asks the server for pull diagnostics of files but never pulls cells, so the
// cell's findings must reach it anyway.
describe('Jupyter notebook in the VS Code profile', () => {
  const options = toInitializationOptions(settingsFromObject({}), true);
  const nbPath = path.join(ws, 'nb.ipynb');
  const nbUri = 'file://' + nbPath;
  const cell = (i: number) => `vscode-notebook-cell:${nbPath}#W${i}sZmlsZQ==`;
  const cells = [
    { uri: cell(0), text: 'import torch\nx = torch.randn(4, 6)\n' },
    { uri: cell(1), text: 'y = x.t()\nz = y.view(24)\n' },
  ];
  let s: LspSession;

  before(async () => {
    writeFileSync(nbPath, JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    s = new LspSession(ptlintPython(), options);
    await s.initialize('vscode', ws);
  });
  after(() => s.close());

  test('notebook: the second cell gets PT001 (the tensor from the first cell is transposed)', async () => {
    assert.ok(s.initializeResult!.capabilities.notebookDocumentSync, 'notebookDocumentSync');
    await s.openNotebook(nbUri, cells);
    const diags = await s.waitPushed(cell(1), pt('PT001'));
    const d = diags.find((x) => x.code === 'PT001')!;
    assert.equal(d.range.start.line, 1);
    assert.equal(d.source, 'ptlint');
    assert.match(d.message, /[\u4e00-\u9fff]/);
    // the first cell is clean, and nothing is reported against the notebook file itself
    const first = [...s.pushed].reverse().find((p) => p.uri === cell(0));
    assert.deepEqual((first?.diagnostics ?? []).filter((x) => x.code === 'PT001'), []);
  });
});

// importStrategy = useBundled: the server from the extension's bundled/libs, run by a bare
// `python -m venv` interpreter that has nothing installed (no ptlint, libcst, pygls, torch).
describe('bundled server with a bare venv (importStrategy useBundled)', () => {
  const libs = path.join(CLIENT_ROOT, 'bundled', 'libs');
  const venv = path.join(ws, 'bare-venv');
  const bare = path.join(venv, 'bin', 'python');
  let s: LspSession;

  before(async () => {
    assert.ok(
      existsSync(path.join(libs, 'ptlint-bundle.json')),
      `no bundled server in ${libs}: run \`npm run bundle-python\` first (the pytest wrapper does)`,
    );
    execFileSync(ptlintPython(), ['-m', 'venv', '--without-pip', venv]);
    const options = toInitializationOptions(settingsFromObject({ probe: { enable: true, device: 'cpu' } }), true);
    s = new LspSession(bare, options, libs);
    await s.initialize('push-only', ws);
  });
  after(() => s?.close());

  test('bundled: the bare interpreter really has nothing installed', () => {
    const out = execFileSync(bare, ['-c', 'import importlib.util as u; print([m for m in ("ptlint", "libcst", "pygls", "torch") if u.find_spec(m)])'], {
      cwd: ws,
      env: { PATH: process.env.PATH ?? '' },
    });
    assert.equal(out.toString().trim(), '[]');
  });

  test('bundled: diagnostics are published for an opened file', async () => {
    await s.open(buggyUri, BUGGY);
    const diags = await s.waitPushed(buggyUri, pt('PT017'));
    assert.match(diags.find((d) => d.code === 'PT017')!.message, /[\u4e00-\u9fff]/);
  });

  test('bundled without torch: the probe says torch is missing when run, not at start-up', async () => {
    assert.deepEqual(s.logs.filter((l) => /torch/.test(l)), [], 'nothing about torch before the probe runs');
    await s.open(modelUri, MODEL);
    await s.waitPushed(modelUri, () => true);
    const result = (await s.connection.sendRequest('workspace/executeCommand', {
      command: 'ptlint.runProbe',
      arguments: [{ uri: modelUri }],
    })) as { torchMissing?: boolean; failed?: string | null };
    assert.equal(result.torchMissing, true, JSON.stringify(result));
    assert.match(result.failed ?? '', /torch/);
    assert.match(result.failed ?? '', /pip install torch/);
    assert.ok(s.logs.some((l) => /探针需要 torch/.test(l)), s.logs.join('\n'));
  });
});
