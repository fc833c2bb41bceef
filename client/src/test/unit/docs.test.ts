import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRules, parseSearchResults } from '../../core/docs';
import { cliCommand } from '../../core/interpreter';
import { run } from '../../core/process';
import { CLIENT_ROOT, ptlintPython } from '../helpers';

test('the rule quick pick reads `ptlint rules --format json` from the real CLI', async () => {
  const res = await run(cliCommand(ptlintPython(), ['rules', '--format', 'json']), CLIENT_ROOT);
  assert.equal(res.ok, true, res.stderr);
  const rules = parseRules(res.stdout);
  const pt017 = rules.find((r) => r.code === 'PT017');
  assert.ok(pt017, 'PT017 listed');
  assert.equal(pt017.name, 'softmax-without-dim');
  assert.ok(rules.every((r) => /^PT\d{3}$/.test(r.code)));
});

test('the rule page is `ptlint explain CODE --lang zh`', async () => {
  const res = await run(cliCommand(ptlintPython(), ['explain', 'PT017', '--lang', 'zh']), CLIENT_ROOT);
  assert.equal(res.ok, true, res.stderr);
  assert.match(res.stdout, /## 它检查什么/);
  assert.match(res.stdout, /## 如何修复/);
});

test('doc search results are read from a list or {results: [...]}', () => {
  const hit = { kind: 'rule', key: 'PT004', title: '与 NumPy 共享内存', score: 3.2, snippet: '`tensor.numpy()` 返回的数组与张量共享内存' };
  const api = { kind: 'api', key: 'torch.from_numpy', title: 'torch.from_numpy', score: 2.1, snippet: '共享内存' };
  assert.deepEqual(parseSearchResults([hit, api]).map((h) => h.key), ['PT004', 'torch.from_numpy']);
  assert.deepEqual(parseSearchResults({ results: [hit] })[0], {
    kind: 'rule',
    key: 'PT004',
    title: '与 NumPy 共享内存',
    snippet: '`tensor.numpy()` 返回的数组与张量共享内存',
  });
  assert.deepEqual(parseSearchResults(null), []);
  assert.deepEqual(parseSearchResults([{ title: 'no key' }, 3]), []);
});
