import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  changeAction,
  readSettings,
  settingsFromObject,
  toInitializationOptions,
} from '../../core/settings';
import { manifestDefaults } from '../helpers';

test('package.json defaults give the documented initializationOptions', () => {
  // Nothing set by the user: lang, the probe and the code lists are left to pyproject.toml.
  const untouched = readSettings((_key, fallback) => fallback, () => false);
  assert.deepEqual(untouched.explicit, []);
  assert.deepEqual(toInitializationOptions(untouched, true), {
    severity: {},
    lintOnChange: true,
    lintOnSave: true,
    inlayHints: { shapes: true },
  });
  // The code's fallbacks are package.json's defaults, key for key.
  const fromManifest = settingsFromObject(manifestDefaults());
  assert.deepEqual({ ...fromManifest, explicit: [] }, untouched);
  // and a user who writes the defaults out sends the full shape of docs/lsp.md
  assert.deepEqual(toInitializationOptions(fromManifest, true), {
    lang: 'zh',
    severity: {},
    lintOnChange: true,
    lintOnSave: true,
    inlayHints: { shapes: true },
    probe: { enable: false, device: 'auto' },
  });
});

test('user settings reach the server in its shape', () => {
  const s = settingsFromObject({
    lang: 'en',
    select: ['pt0', ' PT017 ', 'PT0'],
    ignore: ['PT006'],
    severity: { pt006: 'Hint', PT017: 'information' },
    lintOnChange: false,
    inlayHints: { shapes: false },
    probe: { enable: true, device: 'cuda:1' },
  });
  assert.deepEqual(toInitializationOptions(s, true), {
    lang: 'en',
    select: ['PT0', 'PT017'],
    ignore: ['PT006'],
    severity: { PT006: 'hint', PT017: 'info' },
    lintOnChange: false,
    lintOnSave: true,
    inlayHints: { shapes: false },
    probe: { enable: true, device: 'cuda:1' },
  });
});

test('bad hand-written values fall back instead of reaching the server', () => {
  const s = settingsFromObject({
    enable: 'yes',
    lang: 'fr',
    select: 'PT001',
    ignore: ['E501', 42, 'PT1', 'ALL'],
    severity: { PT0: 'error', PT001: 'fatal', PT004: 'warning' },
    probe: { enable: 1, device: 'tpu' },
    trace: { server: 'loud' },
  });
  assert.equal(s.enable, true);
  assert.equal(s.lang, 'zh');
  assert.ok(!s.explicit.includes('lang') && !s.explicit.includes('probe.enable') && !s.explicit.includes('probe.device'));
  assert.deepEqual(s.select, []);
  assert.deepEqual(s.ignore, ['PT1', 'ALL']);
  // the server only takes full codes in severity; prefixes and unknown levels are dropped
  assert.deepEqual(s.severity, { PT004: 'warning' });
  assert.deepEqual(s.probe, { enable: false, device: 'auto' });
  assert.equal(s.trace.server, 'off');
  assert.equal('lang' in toInitializationOptions(s, true), false);
  assert.equal('probe' in toInitializationOptions(s, true), false);
});

test('the probe never runs in an untrusted workspace', () => {
  const on = settingsFromObject({ probe: { enable: true, device: 'cpu' } });
  assert.deepEqual(toInitializationOptions(on, true).probe, { enable: true, device: 'cpu' });
  assert.deepEqual(toInitializationOptions(on, false).probe, { enable: false, device: 'cpu' });
  // unset: a trusted workspace leaves it to [tool.ptlint.probe]; an untrusted one says no
  // explicitly, so that a pyproject.toml from the untrusted folder cannot turn it on
  const unset = settingsFromObject({});
  assert.equal(toInitializationOptions(unset, true).probe, undefined);
  assert.deepEqual(toInitializationOptions(unset, false).probe, { enable: false });
});

test('which setting changes restart the server', () => {
  const affects = (...changed: string[]) => (section: string) =>
    changed.some((c) => c === section || c.startsWith(section + '.'));
  assert.equal(changeAction(affects('python.defaultInterpreterPath')), 'none');
  assert.equal(changeAction(affects('ptlint.interpreter')), 'restart');
  assert.equal(changeAction(affects('ptlint.enable')), 'restart');
  assert.equal(changeAction(affects('ptlint.trace.server')), 'restart');
  assert.equal(changeAction(affects('ptlint.lang')), 'reconfigure');
  assert.equal(changeAction(affects('ptlint.inlayHints.shapes')), 'reconfigure');
  assert.equal(changeAction(affects('ptlint.probe.enable')), 'reconfigure');
});
