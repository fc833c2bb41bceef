import assert from 'node:assert/strict';
import { test } from 'node:test';
import { probeArgs, probeError } from '../../core/probe';

test('probe target: code lens {uri, model}, a Uri, or the active editor', () => {
  const active = 'file:///ws/model.py';
  assert.deepEqual(probeArgs({ uri: 'file:///ws/a.py', model: 'Net' }, active), { uri: 'file:///ws/a.py', model: 'Net' });
  const uriLike = { scheme: 'file', path: '/ws/b.py', toString: () => 'file:///ws/b.py' };
  assert.deepEqual(probeArgs(uriLike, active), { uri: 'file:///ws/b.py' });
  assert.deepEqual(probeArgs(undefined, active), { uri: active });
  assert.equal(probeArgs(undefined, undefined), undefined);
});

test('probe errors are surfaced; a normal result is left to the server', () => {
  assert.equal(probeError({ error: '文档未打开或尚未分析完' }), '文档未打开或尚未分析完');
  assert.equal(probeError({ uri: 'file:///a.py', models: [], failed: null }), undefined);
  assert.equal(probeError(null), undefined);
});
