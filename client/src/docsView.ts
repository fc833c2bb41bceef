// "ptlint: 查看规则说明" and "搜索 ptlint 文档": quick picks whose pages open in the
// Markdown preview, served from a read-only virtual document.
import * as vscode from 'vscode';
import { cliCommand } from './core/interpreter';
import {
  docPath,
  DocHit,
  explainPage,
  explainParams,
  parseRules,
  parseSearchResults,
  searchDocsParams,
} from './core/docs';
import { t } from './core/messages';
import { currentSettings, ServerManager } from './server';
import { run } from './core/process';

export const DOC_SCHEME = 'ptlint-docs';

export class DocsProvider implements vscode.TextDocumentContentProvider {
  private readonly pages = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.pages.get(uri.path) ?? '';
  }

  async show(key: string, lang: string, markdown: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: DOC_SCHEME, path: docPath(key, lang) });
    this.pages.set(uri.path, markdown);
    this.emitter.fire(uri);
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  }
}

/** A rule's page: from the running server (`ptlint.explain`), else from `ptlint explain`. */
async function explainMarkdown(server: ServerManager, key: string, lang: string): Promise<string> {
  const client = server.client;
  if (client?.isRunning() && server.serverHasCommand('ptlint.explain')) {
    try {
      const page = explainPage(
        await client.sendRequest('workspace/executeCommand', explainParams(key, lang)),
      );
      if (page) {
        return page;
      }
    } catch {
      // fall back to the CLI
    }
  }
  const res = await run(cliCommand(await server.python(), ['explain', key, '--lang', lang]), server.cwd, 30_000, await server.libs());
  if (!res.ok && !res.stdout.trim()) {
    throw new Error(res.stderr.trim() || `ptlint explain ${key} failed`);
  }
  return res.stdout;
}

export async function explainRule(server: ServerManager, docs: DocsProvider, code?: string): Promise<void> {
  const lang = currentSettings().lang;
  try {
    if (!code) {
      const res = await run(cliCommand(await server.python(), ['rules', '--format', 'json']), server.cwd, 30_000, await server.libs());
      if (!res.ok) {
        throw new Error(res.stderr.trim() || 'ptlint rules failed');
      }
      const picked = await vscode.window.showQuickPick(
        parseRules(res.stdout).map((r) => ({
          label: r.code,
          description: r.name,
          detail: `${r.severity}${r.fixable ? (lang === 'zh' ? ' · 可自动修复' : ' · fixable') : ''}`,
        })),
        { placeHolder: t(lang, 'pickRule'), matchOnDescription: true },
      );
      code = picked?.label;
    }
    if (code) {
      await docs.show(code, lang, await explainMarkdown(server, code, lang));
    }
  } catch (err) {
    void vscode.window.showErrorMessage(t(lang, 'rulesFailed', { error: err instanceof Error ? err.message : String(err) }));
  }
}

function hitPage(hit: DocHit): string {
  return `# ${hit.key}\n\n**${hit.title}**\n\n${hit.snippet}\n`;
}

export async function searchDocs(server: ServerManager, docs: DocsProvider): Promise<void> {
  const lang = currentSettings().lang;
  const client = server.client;
  if (!client || !client.isRunning()) {
    void vscode.window.showWarningMessage(t(lang, 'serverNotRunning'));
    return;
  }
  if (!server.serverHasCommand('ptlint.searchDocs')) {
    void vscode.window.showWarningMessage(t(lang, 'searchUnsupported'));
    return;
  }
  const query = await vscode.window.showInputBox({ prompt: t(lang, 'searchPrompt'), placeHolder: '内存共享 / zero_grad' });
  if (!query?.trim()) {
    return;
  }
  const result: unknown = await client.sendRequest('workspace/executeCommand', searchDocsParams(query, lang));
  const hits = parseSearchResults(result);
  if (!hits.length) {
    void vscode.window.showInformationMessage(t(lang, 'searchNothing', { query }));
    return;
  }
  const picked = await vscode.window.showQuickPick(
    hits.map((h) => ({ label: h.key, description: h.title, detail: h.snippet, hit: h })),
    { placeHolder: t(lang, 'searchPick'), matchOnDescription: true, matchOnDetail: true },
  );
  if (!picked) {
    return;
  }
  const hit = picked.hit;
  let page = hitPage(hit);
  if (hit.kind === 'rule') {
    try {
      page = await explainMarkdown(server, hit.key, lang);
    } catch {
      // keep the search snippet
    }
  }
  await docs.show(hit.key, lang, page);
}
