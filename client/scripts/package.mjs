// `npm run package`: bundles ptlint's Python server into bundled/libs, then builds the
// platform-specific .vsix for this machine (ptlint-<target>-<version>.vsix), because the
// bundled libcst and PyYAML carry native code. PTLINT_VSIX_TARGET picks another target.
import { spawnSync } from 'node:child_process';
import { bundlePython, hostTarget } from './bundle-python.mjs';

const bundled = bundlePython();
if (bundled !== 0) {
  process.exit(bundled);
}
const vsce = process.platform === 'win32' ? 'vsce.cmd' : 'vsce';
const res = spawnSync(
  vsce,
  ['package', '--no-dependencies', '--allow-missing-repository', '--target', hostTarget(), ...process.argv.slice(2)],
  { stdio: 'inherit', shell: process.platform === 'win32' },
);
process.exit(res.status ?? 1);
