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
}

type Listener = (e: any) => void;

export class FakeVscode {
  readonly shown: Shown[] = [];
  readonly commands = new Map<string, (...args: any[]) => any>();
  readonly executed: unknown[][] = [];
  readonly output: string[] = [];
  readonly configListeners: Listener[] = [];
  clipboard = '';
  status = { text: '', tooltip: '', visible: false };
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
    const uri = (path: string, scheme = 'file') => ({ scheme, path, fsPath: path, toString: () => `${scheme}://${path}` });
    const api: Record<string, any> = {
      EventEmitter,
      Disposable: class {
        static from() {
          return disposable;
        }
        dispose() {}
      },
      Uri: { file: (p: string) => uri(p), from: (c: { scheme: string; path: string }) => uri(c.path, c.scheme) },
      StatusBarAlignment: { Left: 1, Right: 2 },
      ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
      window: {
        createOutputChannel: () => ({
          name: 'ptlint',
          append: (s: string) => self.output.push(s),
          appendLine: (s: string) => self.output.push(s),
          show: () => self.executed.push(['(output.show)']),
          clear() {},
          replace() {},
          hide() {},
          dispose() {},
        }),
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
        activeTextEditor: undefined,
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
          };
        },
        onDidChangeConfiguration: (l: Listener) => {
          self.configListeners.push(l);
          return disposable;
        },
        onDidGrantWorkspaceTrust: () => disposable,
        registerTextDocumentContentProvider: () => disposable,
      },
      languages: { getDiagnostics: () => [], onDidChangeDiagnostics: () => disposable },
      commands: {
        registerCommand: (id: string, fn: (...a: any[]) => any) => {
          if (self.commands.has(id)) {
            throw new Error(`command '${id}' already exists`);
          }
          self.commands.set(id, fn);
          return disposable;
        },
        executeCommand: async (...args: unknown[]) => {
          self.executed.push(args);
        },
      },
      extensions: { getExtension: () => undefined },
      env: {
        clipboard: {
          writeText: async (s: string) => {
            self.clipboard = s;
          },
        },
      },
    };
    // vscode-languageclient subclasses vscode classes when it loads: any other name is a class.
    this.api = new Proxy(api, {
      get: (target, prop: string) => (prop in target ? target[prop] : class {}),
    });
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
