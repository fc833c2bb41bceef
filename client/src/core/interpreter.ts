// Which Python runs the server, and the command line it runs. No `vscode` import.

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
 * folder, and PYTHONSAFEPATH (3.11+) drops that path entry altogether.
 */
export function pythonEnv(base: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v !== undefined) {
      env[k] = v;
    }
  }
  env.PYTHONSAFEPATH = '1';
  env.PYTHONIOENCODING = 'utf-8';
  env.NO_COLOR = '1';
  return env;
}

/** Imports the server package without starting it; prints the version. Fails fast when absent. */
export function checkCommand(python: string): CommandLine {
  return {
    command: python,
    args: ['-c', 'import ptlint, ptlint.server; print(ptlint.__version__)'],
  };
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

/** The command a user pastes into a terminal to install ptlint into that interpreter. */
export function installCommand(python: string, platform: string): string {
  return `${quote(python, platform)} -m pip install ptlint`;
}

export type StartProblem = 'interpreter-missing' | 'not-installed' | 'broken';

/**
 * Classifies a failed check run: the interpreter itself cannot be started (ENOENT/EACCES),
 * ptlint is not importable there, or something else went wrong (kept for the output).
 */
export function classifyCheckFailure(errorCode: string | number | undefined, stderr: string): StartProblem {
  if (errorCode === 'ENOENT' || errorCode === 'EACCES' || errorCode === 'ENOTDIR') {
    return 'interpreter-missing';
  }
  if (/No module named ['"]?ptlint/.test(stderr)) {
    return 'not-installed';
  }
  return 'broken';
}
