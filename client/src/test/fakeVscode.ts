// A stand-in for the `vscode` module, just large enough to activate the bundled
// extension (dist/extension.js) in plain Node and watch what it shows the user.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-this-alias */
import Module from 'node:module';

export interface Shown {
  level: 'error' | 'warning' | 'info';
  message: string;
  buttons: string[];
}

export interface FakeOptions {
  settings?: Record<string, unknown>;
  trusted?: boolean;
  /** Which button the user clicks on a notification (undefined: dismisses it). */
  click?: (shown: Shown) => string | undefined;
  /** Which quick pick item the user picks (undefined: presses Escape). */
  pick?: (items: { label: string; description?: string }[]) => unknown;
  /** What the user types into an input box. */
  input?: string;
  /** Language of the active text editor (default python; null: no editor open). */
  activeLanguage?: string | null;
}

type Listener = (e: any) => void;

/** A value that can be called, constructed, read from and disposed, and is never a thenable. */
const stub: any = new Proxy(function () {}, {
  get: (_t, prop) => {
    if (prop === 'then') {
      return undefined;
    }
    if (prop === Symbol.iterator) {
      return function* () {};
    }
    if (prop === Symbol.toPrimitive) {
      return () => '';
    }
    return stub;
  },
  apply: () => stub,
  construct: () => stub,
});

class StubClass {}

class CodeActionKind {
  static readonly Empty = new CodeActionKind('');
  static readonly QuickFix = new CodeActionKind('quickfix');
  static readonly Refactor = new CodeActionKind('refactor');
  static readonly Source = new CodeActionKind('source');
  static readonly SourceFixAll = new CodeActionKind('source.fixAll');
  static readonly SourceOrganizeImports = new CodeActionKind('source.organizeImports');
  constructor(readonly value: string) {}
  append(part: string): CodeActionKind {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
  contains(other: CodeActionKind): boolean {
    return this.value === '' || other.value === this.value || other.value.startsWith(this.value + '.');
  }
  intersects(other: CodeActionKind): boolean {
    return this.contains(other) || other.contains(this);
  }
}

export class FakeVscode {
  readonly shown: Shown[] = [];
  readonly commands = new Map<string, (...args: any[]) => any>();
  readonly executed: unknown[][] = [];
  readonly output: string[] = [];
  /** Lines written to the output channel after it was disposed (VS Code: "Channel has been closed"). */
  readonly writesAfterClose: string[] = [];
  outputDisposed = false;
  readonly configListeners: Listener[] = [];
  readonly providers = new Map<string, { provideTextDocumentContent(uri: unknown): string }>();
  readonly picks: { label: string; description?: string }[][] = [];
  clipboard = '';
  status = { text: '', tooltip: '', visible: false };
  /** Settings the extension wrote (configuration.update): [key, value, target]. */
  readonly updated: [string, unknown, unknown][] = [];
  readonly editorListeners: Listener[] = [];
  settings: Record<string, unknown>;
  readonly api: any;

  constructor(opts: FakeOptions = {}) {
    this.settings = { ...(opts.settings ?? {}) };
    const self = this;
    const disposable = { dispose() {} };
    const notify = (level: Shown['level']) => async (message: string, ...buttons: any[]) => {
      const s: Shown = { level, message, buttons: buttons.filter((b) => typeof b === 'string') };
      self.shown.push(s);
      return opts.click?.(s);
    };
    class EventEmitter {
      private listeners: Listener[] = [];
      event = (l: Listener) => {
        this.listeners.push(l);
        return disposable;
      };
      fire(v: unknown) {
        for (const l of this.listeners) {
          l(v);
        }
      }
      dispose() {}
    }
    const uri = (path: string, scheme = 'file') => ({
      scheme,
      path,
      fsPath: path,
      toString: () => (scheme === 'file' ? `file://${path}` : `${scheme}:${path}`),
    });
    const api: Record<string, any> = {
      EventEmitter,
      Disposable: class {
        static from() {
          return disposable;
        }
        dispose() {}
      },
      Uri: {
        file: (p: string) => uri(p),
        from: (c: { scheme: string; path: string }) => uri(c.path, c.scheme),
        parse: (s: string) => {
          const m = /^([\w-]+):(?:\/\/)?(.*)$/.exec(s);
          return m ? uri(m[2], m[1]) : uri(s);
        },
      },
      ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
      StatusBarAlignment: { Left: 1, Right: 2 },
      CodeActionKind,
      ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
      window: {
        createOutputChannel: () => {
          const write = (s: string) => (self.outputDisposed ? self.writesAfterClose : self.output).push(s);
          return {
            name: 'ptlint',
            append: write,
            appendLine: write,
            show: () => self.executed.push(['(output.show)']),
            clear() {},
            replace() {},
            hide() {},
            dispose: () => (self.outputDisposed = true),
          };
        },
        createStatusBarItem: () => {
          const item: any = {
            show: () => (self.status.visible = true),
            hide: () => (self.status.visible = false),
            dispose() {},
          };
          for (const key of ['text', 'tooltip'] as const) {
            Object.defineProperty(item, key, {
              get: () => self.status[key],
              set: (v: string) => (self.status[key] = v),
            });
          }
          return item;
        },
        showErrorMessage: notify('error'),
        showWarningMessage: notify('warning'),
        showInformationMessage: notify('info'),
        withProgress: (_o: unknown, task: (p: unknown) => unknown) => task({ report() {} }),
        showQuickPick: async (items: { label: string }[]) => {
          const list = await items;
          self.picks.push(list);
          return opts.pick?.(list);
        },
        showInputBox: async () => opts.input,
        activeTextEditor:
          opts.activeLanguage === null ? undefined : { document: { languageId: opts.activeLanguage ?? 'python' } },
        activeNotebookEditor: undefined,
        onDidChangeActiveTextEditor: (l: Listener) => {
          self.editorListeners.push(l);
          return disposable;
        },
        onDidChangeActiveNotebookEditor: () => disposable,
      },
      workspace: {
        get isTrusted() {
          return opts.trusted ?? true;
        },
        workspaceFolders: undefined,
        getConfiguration: (section: string) => {
          const read = (key: string) => {
            const full = `${section}.${key}`;
            return Object.prototype.hasOwnProperty.call(self.settings, full) ? self.settings[full] : undefined;
          };
          return {
            get: (key: string, fallback: unknown) => read(key) ?? fallback,
            inspect: (key: string) => ({ key, globalValue: read(key) }),
            update: async (key: string, value: unknown, target: unknown) => {
              self.updated.push([`${section}.${key}`, value, target]);
              self.changeSettings({ [`${section}.${key}`]: value });
            },
          };
        },
        getWorkspaceFolder: () => undefined,
        onDidChangeConfiguration: (l: Listener) => {
          self.configListeners.push(l);
          return disposable;
        },
        onDidGrantWorkspaceTrust: () => disposable,
        registerTextDocumentContentProvider: (scheme: string, provider: any) => {
          self.providers.set(scheme, provider);
          return disposable;
        },
      },
      languages: { getDiagnostics: () => [], onDidChangeDiagnostics: () => disposable },
      commands: {
        registerCommand: (id: string, fn: (...a: any[]) => any) => {
          if (self.commands.has(id)) {
            throw new Error(`command '${id}' already exists`);
          }
          self.commands.set(id, fn);
          return { dispose: () => self.commands.get(id) === fn && self.commands.delete(id) };
        },
        executeCommand: async (...args: unknown[]) => {
          self.executed.push(args);
        },
      },
      extensions: { getExtension: () => undefined },
      env: {
        appName: 'Visual Studio Code (stand-in)',
        language: 'zh-cn',
        machineId: 'test-machine',
        sessionId: 'test-session',
        appRoot: '',
        uiKind: 1,
        clipboard: {
          writeText: async (s: string) => {
            self.clipboard = s;
          },
        },
      },
    };
    // Whatever else vscode-languageclient touches (feature registrations, events, classes)
    // is a do-nothing stub, so that a real LanguageClient can start a real server.
    const withStubs = (obj: Record<string, any>): any =>
      new Proxy(obj, { get: (target, prop) => (prop in target ? target[prop as string] : stub) });
    for (const ns of ['window', 'workspace', 'languages', 'commands', 'extensions', 'env']) {
      api[ns] = withStubs(api[ns]);
    }
    api.version = '1.82.0';
    api.workspace.textDocuments = [];
    api.workspace.name = undefined;
    api.workspace.rootPath = undefined;
    api.workspace.notebookDocuments = [];
    api.window.visibleTextEditors = [];
    api.window.visibleNotebookEditors = [];
    api.window.tabGroups = withStubs({ all: [] });
    this.api = new Proxy(api, {
      get: (target, prop: string) => (prop in target ? target[prop] : StubClass),
    });
  }

  /** Switches the active editor to one of `languageId` (undefined: none), as VS Code does. */
  switchEditor(languageId: string | undefined): void {
    this.api.window.activeTextEditor = languageId ? { document: { languageId } } : undefined;
    for (const l of this.editorListeners) {
      l(this.api.window.activeTextEditor);
    }
  }

  /** Changes settings and fires onDidChangeConfiguration for them, as VS Code does. */
  changeSettings(changes: Record<string, unknown>): void {
    Object.assign(this.settings, changes);
    const keys = Object.keys(changes);
    const event = {
      affectsConfiguration: (section: string) => keys.some((k) => k === section || k.startsWith(section + '.')),
    };
    for (const l of this.configListeners) {
      l(event);
    }
  }
}

let current: FakeVscode | undefined;
const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const originalLoad = loader._load;
loader._load = function (request: string, ...rest: unknown[]) {
  if (request === 'vscode') {
    if (!current) {
      throw new Error('no fake vscode installed');
    }
    return current.api;
  }
  return originalLoad.call(this, request, ...rest);
};

/** Loads a fresh copy of `modulePath` that sees `fake` as `vscode`. */
export function loadWithFake<T>(modulePath: string, fake: FakeVscode): T {
  current = fake;
  delete require.cache[require.resolve(modulePath)];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(modulePath) as T;
}

export async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The page the extension put in the Markdown preview last (`markdown.showPreview`). */
export function previewedPage(fake: FakeVscode): string | undefined {
  const call = [...fake.executed].reverse().find((c) => c[0] === 'markdown.showPreview');
  if (!call) {
    return undefined;
  }
  return fake.providers.get('ptlint-docs')?.provideTextDocumentContent(call[1]);
}
