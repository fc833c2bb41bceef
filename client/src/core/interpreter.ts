// Which Python runs the server, and the command line it runs. No `vscode` import.
import type { ImportStrategy } from './settings';

export type InterpreterSource = 'setting' | 'python-extension' | 'default';

export interface InterpreterInputs {
  /** `ptlint.interpreter` (may use `${workspaceFolder}`, `${userHome}`, `~`). */
  setting: string;
  /** The Python extension's active environment for the workspace, when it is installed. */
  pythonExtension?: string;
  workspaceFolder?: string;
  home?: string;
  platform: string;
}

export interface ResolvedInterpreter {
  command: string;
  source: InterpreterSource;
}

/** The module the server runs as: `<python> -m ptlint.server`, speaking LSP over stdio. */
export const SERVER_MODULE = 'ptlint.server';

export function defaultPython(platform: string): string {
  // Windows installs `python` (and the `py` launcher), not `python3`.
  return platform === 'win32' ? 'python' : 'python3';
}

/** Expands `${workspaceFolder}`, `${userHome}` and a leading `~`; unknown variables stay. */
export function expandPath(value: string, workspaceFolder?: string, home?: string): string {
  let out = value.trim();
  if (home && (out === '~' || out.startsWith('~/') || out.startsWith('~\\'))) {
    out = home + out.slice(1);
  }
  return out.replace(/\$\{(workspaceFolder|userHome)\}/g, (whole, name: string) => {
    const v = name === 'workspaceFolder' ? workspaceFolder : home;
    return v ?? whole;
  });
}

/**
 * Resolution order: the `ptlint.interpreter` setting, else the Python extension's active
 * environment, else `python3` from PATH.
 */
export function resolveInterpreter(inputs: InterpreterInputs): ResolvedInterpreter {
  const setting = expandPath(inputs.setting ?? '', inputs.workspaceFolder, inputs.home);
  if (setting) {
    return { command: setting, source: 'setting' };
  }
  const fromExt = (inputs.pythonExtension ?? '').trim();
  if (fromExt) {
    return { command: fromExt, source: 'python-extension' };
  }
  return { command: defaultPython(inputs.platform), source: 'default' };
}

export interface CommandLine {
  command: string;
  args: string[];
}

export function serverCommand(python: string): CommandLine {
  return { command: python, args: ['-m', SERVER_MODULE] };
}

/**
 * Environment for every Python the extension starts. `python -m` and `python -c` put the
 * working directory first on sys.path, so a folder named `ptlint/` in an (untrusted)
 * workspace could stand in for the real package: the extension runs Python from its own
 * folder, and PYTHONSAFEPATH (3.11+) drops that path entry altogether. With the bundled
 * server, `libs` (the extension's bundled/libs) goes first on PYTHONPATH: the bundled
 * ptlint and its dependencies win over whatever the interpreter has installed, while torch
 * for the probe still comes from the interpreter's own site-packages.
 */
export function pythonEnv(base: Record<string, string | undefined>, libs?: string, delimiter = ':'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v !== undefined) {
      env[k] = v;
    }
  }
  env.PYTHONSAFEPATH = '1';
  env.PYTHONIOENCODING = 'utf-8';
  env.NO_COLOR = '1';
  if (libs) {
    env.PYTHONPATH = base.PYTHONPATH ? `${libs}${delimiter}${base.PYTHONPATH}` : libs;
  }
  return env;
}

/** What the bundle script writes next to the libraries (bundled/libs/ptlint-bundle.json). */
export interface BundleManifest {
  ptlint: string;
  target: string;
  /** CPython versions with native wheels in the bundle, e.g. ["3.10", …, "3.13"]. */
  pythons: string[];
}

export interface ServerPlan {
  /** Where the server's ptlint comes from. */
  mode: 'bundled' | 'environment';
  /** PYTHONPATH entry for the bundled mode. */
  libs?: string;
  /** Supported [min, max] "major.minor" of the bundled mode. */
  pythons?: [string, string];
  /** The bundled server was asked for but this build has none (a development build). */
  noBundle?: boolean;
}

/**
 * Which ptlint the server runs: the bundled one when asked for and present (its manifest
 * says which Pythons it has wheels for), else the interpreter's own.
 */
export function serverPlan(strategy: ImportStrategy, libs: string, manifest: BundleManifest | undefined): ServerPlan {
  if (strategy === 'fromEnvironment') {
    return { mode: 'environment' };
  }
  if (!manifest || !manifest.pythons.length) {
    return { mode: 'environment', noBundle: true };
  }
  const sorted = [...manifest.pythons].sort((a, b) => versionKey(a) - versionKey(b));
  return { mode: 'bundled', libs, pythons: [sorted[0], sorted[sorted.length - 1]] };
}

function versionKey(v: string): number {
  const [major, minor] = v.split('.').map((x) => parseInt(x, 10) || 0);
  return major * 1000 + minor;
}

/** Marker the check prints on stderr when the interpreter's version is outside the bundle's range. */
export const UNSUPPORTED_PYTHON = 'ptlint-unsupported-python';

/**
 * Imports the server package without starting it; prints the version. Fails fast when
 * absent. With a version range (the bundled mode) it first checks the interpreter's
 * version, so an old Python gets a clear message instead of an import error.
 */
export function checkCommand(python: string, pythons?: [string, string]): CommandLine {
  const lines: string[] = ['import sys'];
  if (pythons) {
    const [lo, hi] = pythons.map((v) => `(${v.split('.').map((x) => parseInt(x, 10)).join(', ')})`);
    lines.push(
      `v = sys.version_info[:2]`,
      `if not ${lo} <= v <= ${hi}: sys.stderr.write('${UNSUPPORTED_PYTHON} %d.%d\\n' % v); sys.exit(3)`,
    );
  }
  lines.push('import ptlint, ptlint.server', 'print(ptlint.__version__)');
  return { command: python, args: ['-c', lines.join('\n')] };
}

/** The interpreter's "major.minor" from a failed bundled check, when its version was the problem. */
export function unsupportedVersion(stderr: string): string | undefined {
  return new RegExp(`${UNSUPPORTED_PYTHON} (\\d+\\.\\d+)`).exec(stderr)?.[1];
}

/** The CLI in the same interpreter (`ptlint rules`, `ptlint explain`). */
export function cliCommand(python: string, args: string[]): CommandLine {
  return { command: python, args: ['-m', 'ptlint', ...args] };
}

function quote(arg: string, platform: string): string {
  if (/^[\w@%+=:,./\\-]+$/.test(arg)) {
    return arg;
  }
  return platform === 'win32' ? `"${arg.replace(/"/g, '""')}"` : `'${arg.replace(/'/g, "'\\''")}'`;
}

/**
 * ptlint is not on a package index: it installs from its git repository (or from a clone
 * with `pip install -e .`). The placeholder is the one README and docs use.
 */
export const INSTALL_SPEC = 'ptlint @ git+<repository URL>';

/** The command a user pastes into a terminal to install ptlint into that interpreter. */
export function installCommand(python: string, platform: string): string {
  return `${quote(python, platform)} -m pip install ${quote(INSTALL_SPEC, platform)}`;
}

export type StartProblem = 'interpreter-missing' | 'not-installed' | 'unsupported-python' | 'broken';

/**
 * Classifies a failed check run: the interpreter itself cannot be started (ENOENT/EACCES),
 * ptlint is not importable there, or something else went wrong (kept for the output).
 */
export function classifyCheckFailure(errorCode: string | number | undefined, stderr: string): StartProblem {
  if (errorCode === 'ENOENT' || errorCode === 'EACCES' || errorCode === 'ENOTDIR') {
    return 'interpreter-missing';
  }
  if (stderr.includes(UNSUPPORTED_PYTHON)) {
    return 'unsupported-python';
  }
  if (/No module named ['"]?ptlint/.test(stderr)) {
    return 'not-installed';
  }
  return 'broken';
}
