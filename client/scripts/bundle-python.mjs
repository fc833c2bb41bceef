// Runs scripts/bundle_python.py (ptlint + its dependencies into bundled/libs) with a Python
// that has pip: $PTLINT_PYTHON, else the repository's .venv, else python3/python on PATH.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function buildPython() {
  if (process.env.PTLINT_PYTHON) {
    return process.env.PTLINT_PYTHON;
  }
  const venv = join('..', '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python');
  if (existsSync(venv)) {
    return venv;
  }
  return process.platform === 'win32' ? 'python' : 'python3';
}

/** `vsce package --target` name of this machine (also bundle_python.py's default). */
export function hostTarget() {
  return process.env.PTLINT_VSIX_TARGET || `${process.platform}-${process.arch}`;
}

export function bundlePython(extraArgs = []) {
  const res = spawnSync(buildPython(), ['scripts/bundle_python.py', '--target', hostTarget(), ...extraArgs], {
    stdio: 'inherit',
  });
  if (res.error) {
    console.error(`cannot run ${buildPython()}: ${res.error.message}`);
    return 1;
  }
  return res.status ?? 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exit(bundlePython(process.argv.slice(2)));
}
