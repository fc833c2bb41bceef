import assert from 'node:assert/strict';
import { test } from 'node:test';
import { t } from '../../core/messages';

test('notifications are filled in, in both languages', () => {
  const args = { python: '/usr/bin/python3', install: "/usr/bin/python3 -m pip install 'ptlint @ git+<repository URL>'" };
  const zh = t('zh', 'notInstalled', args);
  assert.match(zh, /没有安装/);
  assert.ok(zh.includes(args.install));
  assert.doesNotMatch(zh, /\{\w+\}/);
  const en = t('en', 'notInstalled', args);
  assert.match(en, /is not installed in the interpreter \/usr\/bin\/python3/);
  assert.equal(t('zh', 'openSetting'), '打开设置');
  assert.equal(t('en', 'openSetting'), 'Open setting');
});
