// Text the extension itself shows (notifications, status bar), in the language of
// `ptlint.lang`, like the server's diagnostics and hovers. No `vscode` import.
import type { Lang } from './settings';

const TEXT = {
  notInstalled: {
    zh: 'ptlint 没有安装在解释器 {python} 中（ptlint.importStrategy 为 fromEnvironment），语言服务器未启动。可以改用扩展自带的服务器，或在终端运行：{install}（在克隆的仓库里也可以运行 pip install -e .），或在设置 ptlint.interpreter 中换一个解释器。',
    en: 'ptlint is not installed in the interpreter {python} (ptlint.importStrategy is fromEnvironment), so the language server was not started. Use the server bundled with the extension, or run in a terminal: {install} (or pip install -e . in a clone), or pick another interpreter in the ptlint.interpreter setting.',
  },
  unsupportedPython: {
    zh: '扩展自带的 ptlint 服务器支持 Python {min}–{max}，而 {python} 是 Python {version}。请在设置 ptlint.interpreter 中换一个解释器。',
    en: 'The bundled ptlint server supports Python {min}–{max}, but {python} is Python {version}. Pick another interpreter in the ptlint.interpreter setting.',
  },
  useBundled: { zh: '使用自带的服务器', en: 'Use the bundled server' },
  torchMissing: {
    zh: '形状探针需要 torch，但解释器中没有安装 torch：{error}',
    en: 'The shape probe needs torch, which is not installed in the interpreter: {error}',
  },
  interpreterMissing: {
    zh: '找不到 Python 解释器 {python}（来源：{source}）。请在设置 ptlint.interpreter 中填写 Python 的完整路径。',
    en: 'Cannot run the Python interpreter {python} (from: {source}). Set the full path of a Python in the ptlint.interpreter setting.',
  },
  broken: {
    zh: '无法在 {python} 中启动 ptlint 语言服务器，详情见输出面板。',
    en: 'Could not start the ptlint language server with {python}; see the output panel.',
  },
  crashed: {
    zh: 'ptlint 语言服务器连续意外退出，已停止重启。修好后运行“ptlint: 重启语言服务器”。',
    en: 'The ptlint language server exited unexpectedly several times and will not be restarted. Run "ptlint: Restart Language Server" once it is fixed.',
  },
  copyInstall: { zh: '复制安装命令', en: 'Copy install command' },
  openSetting: { zh: '打开设置', en: 'Open setting' },
  showOutput: { zh: '查看输出', en: 'Show output' },
  copied: { zh: '已复制：{install}', en: 'Copied: {install}' },
  sourceSetting: { zh: 'ptlint.interpreter 设置', en: 'the ptlint.interpreter setting' },
  sourcePythonExtension: { zh: 'Python 扩展当前选择的环境', en: "the Python extension's active environment" },
  sourceDefault: { zh: '默认的 python3', en: 'the default python3' },
  untrustedProbe: {
    zh: '形状探针会用工作区的 Python 和 torch 运行代码，只在受信任的工作区中可用。',
    en: "The shape probe runs code with the workspace's Python and torch, so it only runs in a trusted workspace.",
  },
  manageTrust: { zh: '管理工作区信任', en: 'Manage Workspace Trust' },
  probeNoFile: { zh: '请先打开一个 Python 文件或 Jupyter 笔记本。', en: 'Open a Python file or a Jupyter notebook first.' },
  probeUnsupported: {
    zh: '当前的 ptlint 语言服务器不提供形状探针（ptlint.runProbe）。请升级 ptlint。',
    en: 'This ptlint language server does not offer the shape probe (ptlint.runProbe). Please upgrade ptlint.',
  },
  probeRunning: { zh: 'ptlint：正在运行形状探针…', en: 'ptlint: running the shape probe…' },
  probeFailed: { zh: '形状探针失败：{error}', en: 'Shape probe failed: {error}' },
  serverNotRunning: {
    zh: 'ptlint 语言服务器没有在运行。',
    en: 'The ptlint language server is not running.',
  },
  pickRule: { zh: '选择要查看的规则', en: 'Pick a rule to read' },
  rulesFailed: { zh: '无法读取规则列表：{error}', en: 'Could not list the rules: {error}' },
  searchPrompt: { zh: '搜索 ptlint 文档（中文或英文关键词）', en: 'Search the ptlint docs (Chinese or English words)' },
  searchNothing: { zh: '没有找到与“{query}”相关的文档。', en: 'Nothing in the docs matches "{query}".' },
  searchPick: { zh: '选择一条结果查看文档', en: 'Pick a result to read' },
  searchUnsupported: {
    zh: '当前的 ptlint 语言服务器不提供文档搜索（ptlint.searchDocs）。请升级 ptlint。',
    en: 'This ptlint language server does not offer doc search (ptlint.searchDocs). Please upgrade ptlint.',
  },
} as const;

export type MessageKey = keyof typeof TEXT;

export function t(lang: Lang, key: MessageKey, args: Record<string, string> = {}): string {
  return TEXT[key][lang].replace(/\{(\w+)\}/g, (whole, name: string) => args[name] ?? whole);
}
