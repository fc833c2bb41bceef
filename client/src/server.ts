// Starts, stops and restarts the ptlint language server for this window.
import { ChildProcess, spawn } from 'child_process';
import { readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import {
  BundleManifest,
  checkCommand,
  classifyCheckFailure,
  installCommand,
  pythonEnv,
  resolveInterpreter,
  ResolvedInterpreter,
  serverCommand,
  ServerPlan,
  serverPlan,
  StartProblem,
  unsupportedVersion,
} from './core/interpreter';
import { t } from './core/messages';
import { clientSideCommands, RestartBudget } from './core/lifecycle';
import { InitializationOptions, PtlintSettings, readSettings, toInitializationOptions } from './core/settings';
import { ServerState } from './core/status';
import { run } from './core/process';
import { activeInterpreter } from './python';

export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
  { scheme: 'vscode-notebook-cell', language: 'python' },
];

/**
 * The settings for `scope` (a file or folder: resource-scoped settings differ per folder of
 * a multi-root workspace), or the window's when there is none.
 */
export function currentSettings(scope?: vscode.Uri): PtlintSettings {
  const cfg = vscode.workspace.getConfiguration('ptlint', scope);
  return readSettings(
    (key, fallback) => cfg.get(key, fallback),
    (key) => {
      const i = cfg.inspect(key);
      return [i?.globalValue, i?.workspaceValue, i?.workspaceFolderValue].some((v) => v !== undefined);
    },
  );
}

/** The file a scope URI stands for: a notebook cell's settings are its notebook's. */
function scopeUri(uri: string | undefined): vscode.Uri | undefined {
  if (!uri) {
    return undefined;
  }
  const parsed = vscode.Uri.parse(uri);
  return parsed.scheme === 'vscode-notebook-cell' ? parsed.with({ scheme: 'file', fragment: '' }) : parsed;
}

/** What `npm run bundle-python` wrote next to the bundled libraries, if this build has them. */
function readBundleManifest(libs: string): BundleManifest | undefined {
  try {
    const m = JSON.parse(readFileSync(path.join(libs, 'ptlint-bundle.json'), 'utf8')) as BundleManifest;
    return Array.isArray(m.pythons) ? m : undefined;
  } catch {
    return undefined;
  }
}

export class ServerManager implements vscode.Disposable {
  client: LanguageClient | undefined;
  interpreter: ResolvedInterpreter | undefined;
  version: string | undefined;
  state: ServerState = 'stopped';

  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private readonly budget = new RestartBudget();
  /** Notifications already shown, so a broken setup is reported once, not on every restart. */
  private readonly shown = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  /** Which ptlint the running (or last started) server uses. */
  plan: ServerPlan | undefined;
  /** The server process this manager spawned, until it exits. */
  private child: ChildProcess | undefined;
  /** Set while the manager itself stops the server: its exit is expected, not an error. */
  private stopping = false;

  /** `cwd` for every Python run: the extension's own folder, never the workspace (see pythonEnv). */
  constructor(
    readonly output: vscode.OutputChannel,
    readonly cwd: string,
  ) {}

  /** The extension's bundled server libraries (bundled/libs, built by `npm run package`). */
  get bundledLibs(): string {
    return path.join(this.cwd, 'bundled', 'libs');
  }

  /** PYTHONPATH entry for CLI runs: the bundled libraries when the server uses them. */
  async libs(): Promise<string | undefined> {
    const plan = this.plan ?? serverPlan(currentSettings().importStrategy, this.bundledLibs, readBundleManifest(this.bundledLibs));
    return plan.libs;
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }

  private setState(state: ServerState): void {
    this.state = state;
    this.stateEmitter.fire(state);
  }

  /** Serializes start/stop/restart so quick setting changes cannot start two servers. */
  private enqueue(job: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(job, job).catch((err) => {
      this.output.appendLine(`[ptlint] ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    });
    return this.queue;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  restart(userAsked = false): Promise<void> {
    if (userAsked) {
      this.shown.clear();
      this.budget.reset();
    }
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  /** Sends the current settings to the running server (no restart needed). */
  async reconfigure(): Promise<void> {
    const client = this.client;
    if (!client || !client.isRunning()) {
      return;
    }
    const settings = await this.optionsFor(undefined);
    await client.sendNotification('workspace/didChangeConfiguration', { settings: { ptlint: settings } });
  }

  /** Whether the running server offers `command` (workspace/executeCommand). */
  serverHasCommand(command: string): boolean {
    const cmds = this.client?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    return cmds.includes(command);
  }

  /** The interpreter for CLI runs (`ptlint rules`, `ptlint explain`), also while the server is off. */
  async python(): Promise<string> {
    return (this.interpreter ?? (await this.resolve(currentSettings()))).command;
  }

  /**
   * The interpreter for `folder` (the first workspace folder when none is given): its
   * `ptlint.interpreter`, else the Python extension's environment for it, else python3.
   */
  private async resolve(settings: PtlintSettings, folder?: vscode.WorkspaceFolder): Promise<ResolvedInterpreter> {
    const where = folder ?? vscode.workspace.workspaceFolders?.[0];
    return resolveInterpreter({
      setting: settings.interpreter,
      pythonExtension: settings.interpreter ? undefined : await activeInterpreter(where?.uri),
      workspaceFolder: where?.uri.fsPath,
      home: os.homedir(),
      platform: process.platform,
    });
  }

  /**
   * The `ptlint` section for one scope, as the server asks for it (workspace/configuration
   * with each document's URI): that folder's settings, gated like initializationOptions
   * (the probe stays off in an untrusted workspace). In a multi-root workspace each folder
   * may have its own interpreter: the one with that folder's torch runs the probe there.
   */
  async optionsFor(uri: string | undefined): Promise<InitializationOptions> {
    const scope = scopeUri(uri);
    const settings = currentSettings(scope);
    const trusted = vscode.workspace.isTrusted;
    const opts = toInitializationOptions(settings, trusted);
    const folder = scope ? vscode.workspace.getWorkspaceFolder(scope) : undefined;
    if (trusted && folder && this.interpreter) {
      const interp = await this.resolve(settings, folder);
      if (interp.source !== 'default' && interp.command !== this.interpreter.command) {
        opts.probe = { ...opts.probe, python: interp.command };
      }
    }
    return opts;
  }

  private async doStart(): Promise<void> {
    const settings = currentSettings();
    if (!settings.enable) {
      this.setState('disabled');
      return;
    }
    this.setState('starting');
    const interp = await this.resolve(settings);
    this.interpreter = interp;
    const plan = serverPlan(settings.importStrategy, this.bundledLibs, readBundleManifest(this.bundledLibs));
    this.plan = plan;
    this.output.appendLine(`[ptlint] interpreter: ${interp.command} (${interp.source})`);
    if (plan.noBundle) {
      this.output.appendLine('[ptlint] this build has no bundled server (bundled/libs): using the interpreter\'s ptlint');
    }

    // A quick import check first: a missing interpreter or a missing ptlint becomes one
    // clear notification instead of a server that crashes and is restarted in a loop.
    const check = await run(checkCommand(interp.command, plan.pythons), this.cwd, 60_000, plan.libs);
    if (!check.ok) {
      const problem = classifyCheckFailure(check.code, check.stderr);
      this.output.appendLine(`[ptlint] check failed (${problem}): ${check.stderr.trim()}`);
      this.setState(problem === 'not-installed' ? 'not-installed' : 'failed');
      void this.notifyProblem(problem, interp, settings, check.stderr);
      return;
    }
    this.version = check.stdout.trim().split(/\r?\n/).pop();
    this.output.appendLine(
      `[ptlint] ptlint ${this.version} (${plan.mode === 'bundled' ? `bundled: ${plan.libs}` : 'from the interpreter'})`,
    );

    const cmd = serverCommand(interp.command);
    const env = pythonEnv(process.env, plan.libs, path.delimiter);
    // The extension spawns the server itself: vscode-languageclient would log every exit,
    // a normal one on restart included, as "[Error] Server process exited with code 0".
    const serverOptions: ServerOptions = async () => {
      const child = spawn(cmd.command, cmd.args, { cwd: this.cwd, env, stdio: 'pipe', windowsHide: true });
      this.child = child;
      child.on('exit', (code, signal) => {
        if (this.child === child) {
          this.child = undefined;
        }
        if (!this.stopping && (code !== 0 || signal)) {
          this.output.appendLine(`[ptlint] server exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`})`);
        }
      });
      return child;
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      initializationOptions: toInitializationOptions(settings, vscode.workspace.isTrusted),
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      diagnosticPullOptions: { onChange: true, onSave: true },
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => {
          if (this.stopping) {
            return { action: CloseAction.DoNotRestart, handled: true };
          }
          if (this.budget.crashed(Date.now())) {
            this.output.appendLine('[ptlint] server exited; restarting');
            return { action: CloseAction.Restart, handled: true };
          }
          this.setState('failed');
          void this.notifyOnce('crashed', t(settings.lang, 'crashed'), [t(settings.lang, 'showOutput')]).then(
            (choice) => choice && this.output.show(),
          );
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        workspace: {
          // Answer the server's workspace/configuration for "ptlint" per scope (each
          // document's folder) with the gated shape of initializationOptions, never the
          // raw settings.
          configuration: async (params, token, next) => {
            const raw = await next(params, token);
            if (!Array.isArray(raw)) {
              return raw;
            }
            return Promise.all(
              params.items.map((item, i) => (item.section === 'ptlint' ? this.optionsFor(item.scopeUri) : raw[i])),
            );
          },
        },
      },
    };
    const client = new LanguageClient('ptlint', 'ptlint', serverOptions, clientOptions);
    this.filterServerCommands(client);
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) {
        this.setState('running');
      } else if (e.newState === State.Starting) {
        this.setState('starting');
      } else if (this.state !== 'failed') {
        this.setState('stopped');
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      this.output.appendLine(`[ptlint] start failed: ${err instanceof Error ? err.message : String(err)}`);
      this.setState('failed');
      void this.notifyProblem('broken', interp, settings, '');
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.stopping = true;
    try {
      if (client) {
        try {
          if (client.isRunning()) {
            await client.stop(5000);
          }
        } catch (err) {
          this.output.appendLine(`[ptlint] stop: ${err instanceof Error ? err.message : String(err)}`);
        }
        await client.dispose().catch(() => undefined);
      }
      await this.reap();
    } finally {
      this.stopping = false;
    }
    this.setState('stopped');
  }

  /** Waits for the server process to exit after shutdown/exit; kills one that hangs. */
  private async reap(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve();
      }, 3000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * vscode-languageclient registers every server command as a VS Code command; the ones
   * the extension wraps with its own UI (ptlint.runProbe) must be left to the extension.
   */
  private filterServerCommands(client: LanguageClient): void {
    const feature = client.getFeature(ExecuteCommandRequest.method);
    const register = feature.register.bind(feature);
    feature.register = (data) =>
      register({
        ...data,
        registerOptions: {
          ...data.registerOptions,
          commands: clientSideCommands(data.registerOptions.commands ?? []),
        },
      });
  }

  private async notifyOnce(key: string, message: string, buttons: string[]): Promise<string | undefined> {
    if (this.shown.has(key)) {
      return undefined;
    }
    this.shown.add(key);
    return vscode.window.showErrorMessage(message, ...buttons);
  }

  private async notifyProblem(
    problem: StartProblem,
    interp: ResolvedInterpreter,
    settings: PtlintSettings,
    stderr: string,
  ): Promise<void> {
    const lang = settings.lang;
    const openSetting = t(lang, 'openSetting');
    const key = `${problem}:${interp.command}`;
    if (problem === 'not-installed') {
      // Only reached with importStrategy = fromEnvironment (or a build without a bundle).
      const install = installCommand(interp.command, process.platform);
      const copy = t(lang, 'copyInstall');
      const bundled = readBundleManifest(this.bundledLibs) ? t(lang, 'useBundled') : undefined;
      const buttons = bundled ? [bundled, copy, openSetting] : [copy, openSetting];
      const choice = await this.notifyOnce(key, t(lang, 'notInstalled', { python: interp.command, install }), buttons);
      if (choice && choice === bundled) {
        await this.useBundled();
      } else if (choice === copy) {
        await vscode.env.clipboard.writeText(install);
        void vscode.window.showInformationMessage(t(lang, 'copied', { install }));
      } else if (choice === openSetting) {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'ptlint.interpreter');
      }
      return;
    }
    const source = t(
      lang,
      interp.source === 'setting' ? 'sourceSetting' : interp.source === 'python-extension' ? 'sourcePythonExtension' : 'sourceDefault',
    );
    const range = this.plan?.pythons ?? ['3.10', '3.13'];
    const message =
      problem === 'interpreter-missing'
        ? t(lang, 'interpreterMissing', { python: interp.command, source })
        : problem === 'unsupported-python'
          ? t(lang, 'unsupportedPython', {
              python: interp.command,
              version: unsupportedVersion(stderr) ?? '?',
              min: range[0],
              max: range[1],
            })
          : t(lang, 'broken', { python: interp.command });
    const showOutput = t(lang, 'showOutput');
    const choice = await this.notifyOnce(key, message, [openSetting, showOutput]);
    if (choice === openSetting) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'ptlint.interpreter');
    } else if (choice === showOutput) {
      this.output.show();
    }
  }

  /** Switches to the bundled server where the user chose fromEnvironment (the change restarts the server). */
  private async useBundled(): Promise<void> {
    const cfg = vscode.workspace.getConfiguration('ptlint');
    const where = cfg.inspect('importStrategy');
    const target =
      where?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await cfg.update('importStrategy', 'useBundled', target);
  }
}
