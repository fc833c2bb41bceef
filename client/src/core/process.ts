// Short runs of the ptlint CLI / a Python check in the chosen interpreter.
import { execFile } from 'child_process';
import { delimiter } from 'path';
import { CommandLine, pythonEnv } from './interpreter';

export interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** spawn error code (ENOENT…) or the exit code */
  code?: string | number;
}

/** `libs`: the bundled server's PYTHONPATH entry (see pythonEnv). */
export function run(cmd: CommandLine, cwd: string, timeoutMs = 30_000, libs?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      cmd.command,
      cmd.args,
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        env: pythonEnv(process.env, libs, delimiter),
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ ok: true, stdout, stderr });
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        resolve({ ok: false, stdout, stderr: stderr || error.message, code });
      },
    );
  });
}
