// The extension's settings and what the server receives from them. No `vscode` import:
// the unit tests and the end-to-end test build initializationOptions with this very code.

export type Lang = 'zh' | 'en';
export type Severity = 'error' | 'warning' | 'info' | 'hint';
export type Trace = 'off' | 'messages' | 'verbose';
export type ImportStrategy = 'useBundled' | 'fromEnvironment';

export interface PtlintSettings {
  enable: boolean;
  /** Language of ptlint's texts; `zh` unless set. */
  lang: Lang;
  /**
   * The keys (below `ptlint.`) the user set with a valid value. Those that pyproject.toml
   * also knows (lang, probe.enable, probe.device) are only sent when set, so that an unset
   * editor setting leaves the choice to `[tool.ptlint]`.
   */
  explicit: string[];
  select: string[];
  ignore: string[];
  severity: Record<string, Severity>;
  lintOnChange: boolean;
  lintOnSave: boolean;
  inlayHints: { shapes: boolean };
  probe: { enable: boolean; device: string };
  interpreter: string;
  /** The bundled server (default) or a ptlint installed in the interpreter. */
  importStrategy: ImportStrategy;
  trace: { server: Trace };
}

/** What `<python> -m ptlint.server` accepts as initializationOptions (see docs/lsp.md). */
export interface InitializationOptions {
  lang?: Lang;
  select?: string[];
  ignore?: string[];
  severity: Record<string, Severity>;
  lintOnChange: boolean;
  lintOnSave: boolean;
  inlayHints: { shapes: boolean };
  /** `python`: the interpreter whose torch runs the probe (a folder's own, in multi-root workspaces). */
  probe?: { enable?: boolean; device?: string; python?: string };
}

/** Reads one setting below `ptlint.` (e.g. `probe.enable`), or the fallback when unset. */
export type SettingGetter = (key: string, fallback: unknown) => unknown;

/** Every key below `ptlint.` that the extension reads; package.json must declare each one. */
export const SETTING_KEYS = [
  'enable',
  'lang',
  'select',
  'ignore',
  'severity',
  'lintOnChange',
  'lintOnSave',
  'inlayHints.shapes',
  'probe.enable',
  'probe.device',
  'interpreter',
  'importStrategy',
  'trace.server',
] as const;

const CODE = /^(ALL|PT\d{0,3})$/;
const SEVERITY_CODE = /^PT\d{3}$/;
const DEVICE = /^(auto|cpu|mps|meta|cuda(:\d+)?)$/;
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'hint'];

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : fallback;
}

function str(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v : fallback;
}

/** Rule codes or prefixes (`PT017`, `PT0`, `ALL`), upper-cased, de-duplicated; anything else is dropped. */
export function normalizeCodes(v: unknown): string[] {
  if (!Array.isArray(v)) {
    return [];
  }
  const out: string[] = [];
  for (const item of v) {
    if (typeof item !== 'string') {
      continue;
    }
    const code = item.trim().toUpperCase();
    if (CODE.test(code) && !out.includes(code)) {
      out.push(code);
    }
  }
  return out;
}

function normalizeSeverity(v: unknown): Record<string, Severity> {
  const out: Record<string, Severity> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [key, level] of Object.entries(v as Record<string, unknown>)) {
      const code = key.trim().toUpperCase();
      const lvl = typeof level === 'string' ? level.trim().toLowerCase() : '';
      const sev = (lvl === 'information' ? 'info' : lvl) as Severity;
      if (SEVERITY_CODE.test(code) && SEVERITIES.includes(sev)) {
        out[code] = sev;
      }
    }
  }
  return out;
}

/**
 * Settings as the extension uses them. Bad values (a hand-edited settings.json) fall back
 * to the defaults instead of reaching the server. `isSet` tells whether the user set a key
 * at all (VS Code's `inspect`); without it every key counts as set.
 */
export function readSettings(get: SettingGetter, isSet: (key: string) => boolean = () => true): PtlintSettings {
  const rawLang = get('lang', 'zh');
  const lang = str(rawLang, 'zh');
  const rawDevice = get('probe.device', 'auto');
  const device = str(rawDevice, 'auto').trim().toLowerCase();
  const rawProbe = get('probe.enable', false);
  const trace = str(get('trace.server', 'off'), 'off');
  const valid: Record<string, boolean> = {
    lang: rawLang === 'zh' || rawLang === 'en',
    'probe.enable': typeof rawProbe === 'boolean',
    'probe.device': DEVICE.test(device),
  };
  return {
    explicit: SETTING_KEYS.filter((k) => isSet(k) && valid[k] !== false),
    enable: bool(get('enable', true), true),
    lang: lang === 'en' ? 'en' : 'zh',
    select: normalizeCodes(get('select', [])),
    ignore: normalizeCodes(get('ignore', [])),
    severity: normalizeSeverity(get('severity', {})),
    lintOnChange: bool(get('lintOnChange', true), true),
    lintOnSave: bool(get('lintOnSave', true), true),
    inlayHints: { shapes: bool(get('inlayHints.shapes', true), true) },
    probe: {
      enable: bool(rawProbe, false),
      device: DEVICE.test(device) ? device : 'auto',
    },
    interpreter: str(get('interpreter', ''), '').trim(),
    importStrategy: get('importStrategy', 'useBundled') === 'fromEnvironment' ? 'fromEnvironment' : 'useBundled',
    trace: { server: trace === 'messages' || trace === 'verbose' ? trace : 'off' },
  };
}

/**
 * initializationOptions for the server. What the user left unset (lang, the probe keys, an
 * empty select/ignore) is left out, so that `[tool.ptlint]` in pyproject.toml decides.
 * The probe imports torch from the user's interpreter and runs code on their device: in an
 * untrusted workspace it is always off, whatever the settings or pyproject.toml say.
 */
export function toInitializationOptions(
  settings: PtlintSettings,
  workspaceTrusted: boolean,
): InitializationOptions {
  const set = (key: string) => settings.explicit.includes(key);
  const opts: InitializationOptions = {
    severity: { ...settings.severity },
    lintOnChange: settings.lintOnChange,
    lintOnSave: settings.lintOnSave,
    inlayHints: { shapes: settings.inlayHints.shapes },
  };
  if (set('lang')) {
    opts.lang = settings.lang;
  }
  if (settings.select.length) {
    opts.select = [...settings.select];
  }
  if (settings.ignore.length) {
    opts.ignore = [...settings.ignore];
  }
  const probe: { enable?: boolean; device?: string } = {};
  if (!workspaceTrusted) {
    probe.enable = false;
  } else if (set('probe.enable')) {
    probe.enable = settings.probe.enable;
  }
  if (set('probe.device')) {
    probe.device = settings.probe.device;
  }
  if (Object.keys(probe).length) {
    opts.probe = probe;
  }
  return opts;
}

export type ChangeAction = 'restart' | 'reconfigure' | 'none';

/**
 * What a settings change needs. A new interpreter or import strategy, turning ptlint on
 * or off, or the trace level means a new server process; everything else the running server takes
 * through workspace/didChangeConfiguration.
 */
export function changeAction(affects: (section: string) => boolean): ChangeAction {
  if (!affects('ptlint')) {
    return 'none';
  }
  if (
    affects('ptlint.interpreter') ||
    affects('ptlint.importStrategy') ||
    affects('ptlint.enable') ||
    affects('ptlint.trace.server')
  ) {
    return 'restart';
  }
  return 'reconfigure';
}

function lookup(obj: Record<string, unknown>, key: string): { found: boolean; value: unknown } {
  let cur: unknown = obj;
  for (const part of key.split('.')) {
    if (cur && typeof cur === 'object' && part in (cur as Record<string, unknown>)) {
      cur = (cur as Record<string, unknown>)[part];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: cur };
}

/**
 * Reads settings from a nested object as a user's settings.json would hold them
 * (`{lang: "en", probe: {enable: true}}`); keys it lacks take the defaults. For the tests
 * and for anything outside VS Code that starts the server the way the extension does.
 */
export function settingsFromObject(obj: Record<string, unknown>): PtlintSettings {
  return readSettings(
    (key, fallback) => {
      const r = lookup(obj, key);
      return r.found ? r.value : fallback;
    },
    (key) => lookup(obj, key).found,
  );
}
