// Entry point of the ptlint VS Code extension: wires settings, commands and the status
// bar to the language server. The logic that does not need VS Code lives in ./core.
import * as vscode from 'vscode';
import { probeArgs, probeError } from './core/probe';
import { changeAction } from './core/settings';
import { t } from './core/messages';
import { countProblems, statusText, statusTooltip, statusVisible } from './core/status';
import { DOC_SCHEME, DocsProvider, explainRule, searchDocs } from './docsView';
import { onInterpreterChange } from './python';
import { currentSettings, ServerManager } from './server';

let manager: ServerManager | undefined;
let outputChannel: vscode.OutputChannel | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  // Not in context.subscriptions: the channel must outlive the client, which still writes
  // to it while it stops ("Channel has been closed" otherwise); deactivate disposes it.
  const output = vscode.window.createOutputChannel('ptlint');
  outputChannel = output;
  const server = new ServerManager(output, context.extensionUri.fsPath);
  manager = server;
  const docs = new DocsProvider();

  const status = vscode.window.createStatusBarItem('ptlint.status', vscode.StatusBarAlignment.Right, 100);
  status.name = 'ptlint';
  status.command = 'ptlint.showOutput';
  const refreshStatus = () => {
    const problems = countProblems(vscode.languages.getDiagnostics().map(([, d]) => d));
    status.text = statusText(server.state, problems);
    status.tooltip = statusTooltip({
      state: server.state,
      problems,
      lang: currentSettings().lang,
      interpreter: server.interpreter?.command,
      version: server.version,
    });
    const editor = vscode.window.activeTextEditor;
    const notebook = vscode.window.activeNotebookEditor;
    if (statusVisible(editor?.document.languageId, notebook?.notebook.notebookType)) {
      status.show();
    } else {
      status.hide();
    }
  };

  context.subscriptions.push(
    server,
    status,
    vscode.window.onDidChangeActiveTextEditor(refreshStatus),
    vscode.window.onDidChangeActiveNotebookEditor(refreshStatus),
    vscode.workspace.registerTextDocumentContentProvider(DOC_SCHEME, docs),
    server.onDidChangeState(refreshStatus),
    vscode.languages.onDidChangeDiagnostics(refreshStatus),
    vscode.commands.registerCommand('ptlint.restart', () => server.restart(true)),
    vscode.commands.registerCommand('ptlint.showOutput', () => output.show()),
    vscode.commands.registerCommand('ptlint.explainRule', (code?: string) =>
      explainRule(server, docs, typeof code === 'string' ? code : undefined),
    ),
    vscode.commands.registerCommand('ptlint.searchDocsPrompt', () => searchDocs(server, docs)),
    vscode.commands.registerCommand('ptlint.runProbe', (arg?: unknown) => runProbe(server, arg)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      const action = changeAction((section) => e.affectsConfiguration(section));
      if (action === 'restart') {
        void server.restart();
      } else if (action === 'reconfigure') {
        void server.reconfigure();
        refreshStatus();
      }
    }),
    // Trust can only be granted while the window is open, never revoked: the probe setting
    // now applies, so the server gets the new options.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void server.reconfigure()),
  );

  const interpreterWatch = await onInterpreterChange(() => {
    if (!currentSettings().interpreter) {
      void server.restart();
    }
  });
  if (interpreterWatch) {
    context.subscriptions.push(interpreterWatch);
  }

  refreshStatus();
  await server.start();
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager = undefined;
  outputChannel?.dispose();
  outputChannel = undefined;
}

async function runProbe(server: ServerManager, arg: unknown): Promise<void> {
  const lang = currentSettings().lang;
  // The workspace's own settings for the probe are ignored in Restricted Mode, but a
  // command (or the server's code lens) could still ask: refuse here, before the server.
  if (!vscode.workspace.isTrusted) {
    const manage = t(lang, 'manageTrust');
    const choice = await vscode.window.showWarningMessage(t(lang, 'untrustedProbe'), manage);
    if (choice === manage) {
      await vscode.commands.executeCommand('workbench.trust.manage');
    }
    return;
  }
  const active = vscode.window.activeNotebookEditor?.notebook.uri ?? vscode.window.activeTextEditor?.document.uri;
  const args = probeArgs(arg, active?.toString());
  if (!args) {
    void vscode.window.showWarningMessage(t(lang, 'probeNoFile'));
    return;
  }
  const client = server.client;
  if (!client || !client.isRunning()) {
    void vscode.window.showWarningMessage(t(lang, 'serverNotRunning'));
    return;
  }
  if (!server.serverHasCommand('ptlint.runProbe')) {
    void vscode.window.showWarningMessage(t(lang, 'probeUnsupported'));
    return;
  }
  try {
    // The server reports the verdicts itself (message, output, diagnostics, hover).
    const result: unknown = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: t(lang, 'probeRunning') },
      () => client.sendRequest('workspace/executeCommand', { command: 'ptlint.runProbe', arguments: [args] }),
    );
    const error = probeError(result);
    if (error) {
      void vscode.window.showWarningMessage(t(lang, 'probeFailed', { error }));
    }
  } catch (err) {
    void vscode.window.showErrorMessage(
      t(lang, 'probeFailed', { error: err instanceof Error ? err.message : String(err) }),
    );
  }
}
