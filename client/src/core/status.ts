// The status bar item's text and tooltip. No `vscode` import; `$(name)` are codicons.
import type { Lang } from './settings';

export type ServerState = 'starting' | 'running' | 'stopped' | 'disabled' | 'not-installed' | 'failed';

const STATE_TEXT: Record<ServerState, { zh: string; en: string }> = {
  starting: { zh: '正在启动', en: 'starting' },
  running: { zh: '运行中', en: 'running' },
  stopped: { zh: '已停止', en: 'stopped' },
  disabled: { zh: '已禁用（ptlint.enable）', en: 'disabled (ptlint.enable)' },
  'not-installed': { zh: '未安装', en: 'not installed' },
  failed: { zh: '启动失败', en: 'failed to start' },
};

export function statusText(state: ServerState, problems: number): string {
  switch (state) {
    case 'starting':
      return '$(sync~spin) ptlint';
    case 'running':
      return problems > 0 ? `$(warning) ptlint ${problems}` : '$(check) ptlint';
    case 'stopped':
    case 'disabled':
      return '$(circle-slash) ptlint';
    default:
      return '$(error) ptlint';
  }
}

export interface StatusDetails {
  state: ServerState;
  problems: number;
  lang: Lang;
  interpreter?: string;
  version?: string;
}

export function statusTooltip(d: StatusDetails): string {
  const zh = d.lang === 'zh';
  const lines = [
    `ptlint${d.version ? ' ' + d.version : ''}: ${STATE_TEXT[d.state][d.lang]}`,
    zh ? `问题数：${d.problems}` : `Problems: ${d.problems}`,
  ];
  if (d.interpreter) {
    lines.push(zh ? `解释器：${d.interpreter}` : `Interpreter: ${d.interpreter}`);
  }
  lines.push(zh ? '点击查看输出' : 'Click to show the output');
  return lines.join('\n');
}

/** Counts diagnostics that ptlint published (source "ptlint") across all documents. */
export function countProblems(perDocument: Iterable<readonly { source?: string }[]>): number {
  let n = 0;
  for (const diags of perDocument) {
    for (const d of diags) {
      if (d.source === 'ptlint') {
        n++;
      }
    }
  }
  return n;
}

/** Notebook types whose Python cells ptlint checks. */
export const NOTEBOOK_TYPES = ['jupyter-notebook', 'interactive'];

/**
 * The status item belongs to the editors ptlint checks: a Python file or a Jupyter
 * notebook (its cells are Python); other editors (Markdown, JSON, settings) hide it.
 */
export function statusVisible(languageId: string | undefined, notebookType: string | undefined): boolean {
  return languageId === 'python' || (notebookType !== undefined && NOTEBOOK_TYPES.includes(notebookType));
}
