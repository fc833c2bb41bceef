// Starts, stops and restarts the ptlint language server for this window.
import * as os from 'os';
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
  TransportKind,
} from 'vscode-languageclient/node';
import {
  checkCommand,
  classifyCheckFailure,
  installCommand,
  pythonEnv,
  resolveInterpreter,
  ResolvedInterpreter,
  serverCommand,
  StartProblem,
} from './core/interpreter';
import { t } from './core/messages';
import { clientSideCommands, RestartBudget } from './core/lifecycle';
import { PtlintSettings, readSettings, toInitializationOptions } from './core/settings';
import { ServerState } from './core/status';
import { run } from './core/process';
import { activeInterpreter } from './python';

export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'python' },
  { scheme: 'untitled', language: 'python' },
  { scheme: 'vscode-notebook-cell', language: 'python' },
];

export function currentSettings(): PtlintSettings {
  const cfg = vscode.workspace.getConfiguration('ptlint');
  return readSettings(
    (key, fallback) => cfg.get(key, fallback),
    (key) => {
      const i = cfg.inspect(key);
      return [i?.globalValue, i?.workspaceValue, i?.workspaceFolderValue].some((v) => v !== undefined);
    },
  );
}

function workspaceFolderPath(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
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

  /** `cwd` for every Python run: the extension's own folder, never the workspace (see pythonEnv). */
  constructor(
    readonly output: vscode.OutputChannel,
    readonly cwd: string,
  ) {}

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
    const settings = toInitializationOptions(currentSettings(), vscode.workspace.isTrusted);
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

  private async resolve(settings: PtlintSettings): Promise<ResolvedInterpreter> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    return resolveInterpreter({
      setting: settings.interpreter,
      pythonExtension: settings.interpreter ? undefined : await activeInterpreter(folder),
      workspaceFolder: workspaceFolderPath(),
      home: os.homedir(),
      platform: process.platform,
    });
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
    this.output.appendLine(`[ptlint] interpreter: ${interp.command} (${interp.source})`);

    // A quick import check first: a missing interpreter or a missing ptlint becomes one
    // clear notification instead of a server that crashes and is restarted in a loop.
    const check = await run(checkCommand(interp.command), this.cwd, 60_000);
    if (!check.ok) {
      const problem = classifyCheckFailure(check.code, check.stderr);
      this.output.appendLine(`[ptlint] check failed (${problem}): ${check.stderr.trim()}`);
      this.setState(problem === 'not-installed' ? 'not-installed' : 'failed');
      void this.notifyProblem(problem, interp, settings);
      return;
    }
    this.version = check.stdout.trim().split(/\r?\n/).pop();
    this.output.appendLine(`[ptlint] ptlint ${this.version}`);

    const cmd = serverCommand(interp.command);
    const serverOptions: ServerOptions = {
      command: cmd.command,
      args: cmd.args,
      transport: TransportKind.stdio,
      options: { cwd: this.cwd, env: pythonEnv(process.env) },
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
          // Answer the server's workspace/configuration for "ptlint" with the same gated
          // shape as initializationOptions (never the raw settings: the probe stays off
          // in an untrusted workspace).
          configuration: async (params, token, next) => {
            const raw = await next(params, token);
            if (!Array.isArray(raw)) {
              return raw;
            }
            return params.items.map((item, i) =>
              item.section === 'ptlint'
                ? toInitializationOptions(currentSettings(), vscode.workspace.isTrusted)
                : raw[i],
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
      void this.notifyProblem('broken', interp, settings);
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
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
    this.setState('stopped');
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

  private async notifyProblem(problem: StartProblem, interp: ResolvedInterpreter, settings: PtlintSettings): Promise<void> {
    const lang = settings.lang;
    const openSetting = t(lang, 'openSetting');
    const key = `${problem}:${interp.command}`;
    if (problem === 'not-installed') {
      const install = installCommand(interp.command, process.platform);
      const copy = t(lang, 'copyInstall');
      const choice = await this.notifyOnce(key, t(lang, 'notInstalled', { python: interp.command, install }), [
        copy,
        openSetting,
      ]);
      if (choice === copy) {
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
    const message =
      problem === 'interpreter-missing'
        ? t(lang, 'interpreterMissing', { python: interp.command, source })
        : t(lang, 'broken', { python: interp.command });
    const showOutput = t(lang, 'showOutput');
    const choice = await this.notifyOnce(key, message, [openSetting, showOutput]);
    if (choice === openSetting) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'ptlint.interpreter');
    } else if (choice === showOutput) {
      this.output.show();
    }
  }
}
