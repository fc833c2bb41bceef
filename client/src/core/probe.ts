// Arguments and results of the server's `ptlint.runProbe`. No `vscode` import.

export interface ProbeArgs {
  uri: string;
  model?: string;
}

/**
 * What `ptlint.runProbe` is asked to probe. The command is invoked from the palette (no
 * argument: the active editor), from the explorer/editor with a Uri, or from the server's
 * code lens `▶ 运行形状探针` with `{uri, model}`. The device is left to the settings.
 */
export function probeArgs(arg: unknown, activeUri: string | undefined): ProbeArgs | undefined {
  if (arg && typeof arg === 'object') {
    const o = arg as { uri?: unknown; model?: unknown; scheme?: unknown; toString(): string };
    if (typeof o.uri === 'string' && o.uri) {
      return typeof o.model === 'string' && o.model ? { uri: o.uri, model: o.model } : { uri: o.uri };
    }
    if (typeof o.scheme === 'string') {
      return { uri: o.toString() }; // a vscode.Uri
    }
  }
  if (typeof arg === 'string' && arg) {
    return { uri: arg };
  }
  return activeUri ? { uri: activeUri } : undefined;
}

/** The error a probe run reports (`{error}` or `{failed}`), if any; the server shows the rest itself. */
export function probeError(result: unknown): string | undefined {
  if (!result || typeof result !== 'object') {
    return typeof result === 'string' && result ? result : undefined;
  }
  const r = result as { error?: unknown; failed?: unknown };
  if (typeof r.error === 'string' && r.error) {
    return r.error;
  }
  return undefined;
}
