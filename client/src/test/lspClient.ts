// A small LSP client over stdio for the end-to-end tests: starts the server with the
// extension's own command line and environment, answers the server's requests the way
// the extension does, and records what the server pushes.
import { ChildProcess, spawn } from 'node:child_process';
import {
  ClientCapabilities,
  createProtocolConnection,
  Diagnostic,
  InitializeResult,
  ProtocolConnection,
  PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { pythonEnv, serverCommand } from '../core/interpreter';
import { InitializationOptions } from '../core/settings';
import { CLIENT_ROOT } from './helpers';

export type Profile = 'vscode' | 'push-only';

/** Capabilities close to what vscode-languageclient 9 declares (pull diagnostics) or a push-only client. */
export function capabilities(profile: Profile): ClientCapabilities {
  const caps: ClientCapabilities = {
    general: { positionEncodings: ['utf-16'] },
    workspace: {
      configuration: true,
      didChangeConfiguration: { dynamicRegistration: true },
      didChangeWatchedFiles: { dynamicRegistration: true },
      executeCommand: { dynamicRegistration: true },
      workspaceFolders: true,
      inlayHint: { refreshSupport: true },
      ...(profile === 'vscode' ? { diagnostics: { refreshSupport: true } } : {}),
    },
    textDocument: {
      synchronization: { dynamicRegistration: true, didSave: true, willSave: false },
      publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, dataSupport: true, versionSupport: false },
      hover: { contentFormat: ['markdown', 'plaintext'] },
      codeAction: {
        codeActionLiteralSupport: { codeActionKind: { valueSet: ['', 'quickfix', 'source', 'source.fixAll'] } },
        resolveSupport: { properties: ['edit'] },
        dataSupport: true,
        isPreferredSupport: true,
      },
      inlayHint: { dynamicRegistration: true },
      ...(profile === 'vscode' ? { diagnostic: { dynamicRegistration: true, relatedDocumentSupport: false } } : {}),
    },
    notebookDocument: { synchronization: { dynamicRegistration: true, executionSummarySupport: false } },
    window: { workDoneProgress: true, showMessage: {} },
  };
  return caps;
}

export class LspSession {
  readonly connection: ProtocolConnection;
  readonly proc: ChildProcess;
  readonly pushed: PublishDiagnosticsParams[] = [];
  readonly logs: string[] = [];
  stderr = '';
  initializeResult: InitializeResult | undefined;
  private waiters: (() => void)[] = [];

  /** `libs`: the bundled server's libraries (importStrategy useBundled), put on PYTHONPATH as the extension does. */
  constructor(
    python: string,
    private options: InitializationOptions,
    libs?: string,
  ) {
    const cmd = serverCommand(python);
    this.proc = spawn(cmd.command, cmd.args, { cwd: CLIENT_ROOT, env: pythonEnv(process.env, libs), stdio: 'pipe' });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8');
    });
    this.connection = createProtocolConnection(
      new StreamMessageReader(this.proc.stdout!),
      new StreamMessageWriter(this.proc.stdin!),
    );
    const c = this.connection;
    // what vscode-languageclient answers, with the extension's middleware for "ptlint"
    c.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
      params.items.map((item) => (item.section === 'ptlint' ? this.options : null)),
    );
    c.onRequest('client/registerCapability', () => null);
    c.onRequest('client/unregisterCapability', () => null);
    c.onRequest('window/workDoneProgress/create', () => null);
    c.onRequest('workspace/inlayHint/refresh', () => null);
    c.onRequest('workspace/diagnostic/refresh', () => null);
    c.onRequest('workspace/codeLens/refresh', () => null);
    c.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.pushed.push(p);
      this.wake();
    });
    c.onNotification('window/logMessage', (p: { message: string }) => this.logs.push(p.message));
    c.onNotification('window/showMessage', (p: { message: string }) => this.logs.push(p.message));
    c.onNotification('$/progress', () => undefined);
    c.onNotification('$/logTrace', () => undefined);
    c.listen();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    w.forEach((f) => f());
  }

  async initialize(profile: Profile, rootDir: string): Promise<InitializeResult> {
    const rootUri = 'file://' + rootDir;
    this.initializeResult = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      clientInfo: { name: 'ptlint-e2e', version: '0' },
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'ws' }],
      capabilities: capabilities(profile),
      initializationOptions: this.options,
    });
    await this.connection.sendNotification('initialized', {});
    return this.initializeResult!;
  }

  /** What the extension sends on a settings change that needs no restart. */
  async reconfigure(options: InitializationOptions): Promise<void> {
    this.options = options;
    await this.connection.sendNotification('workspace/didChangeConfiguration', { settings: { ptlint: options } });
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version, text },
    });
  }

  /** What vscode-languageclient sends when VS Code opens a Jupyter notebook: one notification with every cell. */
  openNotebook(uri: string, cells: { uri: string; text: string }[]): Promise<void> {
    return this.connection.sendNotification('notebookDocument/didOpen', {
      notebookDocument: {
        uri,
        notebookType: 'jupyter-notebook',
        version: 1,
        cells: cells.map((c) => ({ kind: 2, document: c.uri })),
      },
      cellTextDocuments: cells.map((c) => ({ uri: c.uri, languageId: 'python', version: 1, text: c.text })),
    });
  }

  change(uri: string, text: string, version: number): Promise<void> {
    return this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ text }],
    });
  }

  /** Waits for a push whose diagnostics for `uri` satisfy `pred`. */
  async waitPushed(uri: string, pred: (d: Diagnostic[]) => boolean, timeoutMs = 30_000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = [...this.pushed].reverse().find((p) => p.uri === uri);
      if (last && pred(last.diagnostics)) {
        return last.diagnostics;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no matching diagnostics pushed for ${uri}; last: ${JSON.stringify(last)}\n${this.stderr.slice(-3000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Pulls diagnostics until `pred` holds (the server may answer before the analysis of a new version lands). */
  async pull(uri: string, pred: (d: Diagnostic[]) => boolean = () => true, timeoutMs = 30_000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    let items: Diagnostic[] = [];
    for (;;) {
      const report = (await this.connection.sendRequest('textDocument/diagnostic', {
        textDocument: { uri },
      })) as { kind: string; items?: Diagnostic[] };
      items = report.items ?? [];
      if (pred(items)) {
        return items;
      }
      if (Date.now() > deadline) {
        throw new Error(`pulled diagnostics never matched: ${JSON.stringify(items)}\n${this.stderr.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 5000))]);
      await this.connection.sendNotification('exit');
    } catch {
      // already gone
    }
    await new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        this.proc.kill('SIGKILL');
        resolve();
      }, 5000);
      this.proc.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.connection.dispose();
  }
}

/** Applies a WorkspaceEdit's edits for `uri` to `text` (positions in UTF-16 code units, as JS strings are). */
export function applyEdit(text: string, uri: string, edit: WorkspaceEdit): string {
  const edits: TextEdit[] = [];
  for (const [u, list] of Object.entries(edit.changes ?? {})) {
    if (u === uri) {
      edits.push(...list);
    }
  }
  for (const change of edit.documentChanges ?? []) {
    if ('textDocument' in change && change.textDocument.uri === uri) {
      edits.push(...(change.edits as TextEdit[]));
    }
  }
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n') {
      lineStarts.push(i + 1);
    }
  }
  const offset = (p: { line: number; character: number }) =>
    p.line >= lineStarts.length ? text.length : Math.min(lineStarts[p.line] + p.character, text.length);
  const sorted = edits
    .map((e) => ({ start: offset(e.range.start), end: offset(e.range.end), newText: e.newText }))
    .sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of sorted) {
    out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  }
  return out;
}

export function hoverText(hover: unknown): string {
  if (!hover || typeof hover !== 'object') {
    return '';
  }
  const contents = (hover as { contents: unknown }).contents;
  const one = (c: unknown): string =>
    typeof c === 'string' ? c : c && typeof c === 'object' && 'value' in c ? String((c as { value: unknown }).value) : '';
  return Array.isArray(contents) ? contents.map(one).join('\n') : one(contents);
}
