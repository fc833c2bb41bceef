import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countProblems, statusText, statusTooltip } from '../../core/status';
import { clientSideCommands, OWN_COMMANDS, RestartBudget } from '../../core/lifecycle';

test('status bar shows state and ptlint problem count', () => {
  assert.equal(statusText('starting', 0), '$(sync~spin) ptlint');
  assert.equal(statusText('running', 0), '$(check) ptlint');
  assert.equal(statusText('running', 7), '$(warning) ptlint 7');
  assert.equal(statusText('not-installed', 3), '$(error) ptlint');
  assert.equal(statusText('disabled', 0), '$(circle-slash) ptlint');
  const zh = statusTooltip({ state: 'not-installed', problems: 0, lang: 'zh', interpreter: '/usr/bin/python3' });
  assert.match(zh, /未安装/);
  assert.match(zh, /解释器：\/usr\/bin\/python3/);
  assert.match(statusTooltip({ state: 'running', problems: 2, lang: 'en', version: '0.1.0' }), /ptlint 0\.1\.0: running\nProblems: 2/);
});

test('only diagnostics from ptlint are counted', () => {
  const docs = [
    [{ source: 'ptlint' }, { source: 'Pylance' }, { source: 'ptlint' }],
    [],
    [{ source: 'ptlint' }, {}],
  ];
  assert.equal(countProblems(docs), 3);
});

test('a server that keeps crashing is restarted 3 times in 3 minutes, then left down', () => {
  const b = new RestartBudget(3, 180_000);
  assert.equal(b.crashed(0), true);
  assert.equal(b.crashed(1000), true);
  assert.equal(b.crashed(2000), true);
  assert.equal(b.crashed(3000), false);
  assert.equal(b.crashed(4000), false);
  // crashes far apart are each forgiven
  const slow = new RestartBudget(3, 180_000);
  for (let i = 0; i < 10; i++) {
    assert.equal(slow.crashed(i * 200_000), true);
  }
  b.reset();
  assert.equal(b.crashed(5000), true);
});

test("server commands that the extension wraps are not registered twice", () => {
  assert.deepEqual(clientSideCommands(['ptlint.explain', 'ptlint.runProbe', 'ptlint.fixAll', 'ptlint.searchDocs']), [
    'ptlint.explain',
    'ptlint.fixAll',
    'ptlint.searchDocs',
  ]);
  assert.ok(OWN_COMMANDS.includes('ptlint.runProbe'));
});
