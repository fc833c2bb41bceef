// Shaping rule lists and doc-search results for quick picks. No `vscode` import.

export interface RuleInfo {
  code: string;
  name: string;
  severity: string;
  fixable: boolean;
}

/** Parses `ptlint rules --format json`. */
export function parseRules(json: string): RuleInfo[] {
  const data: unknown = JSON.parse(json);
  if (!Array.isArray(data)) {
    throw new Error('ptlint rules --format json did not print a list');
  }
  return data
    .filter((r): r is Record<string, unknown> => !!r && typeof r === 'object' && typeof r.code === 'string')
    .map((r) => ({
      code: String(r.code),
      name: typeof r.name === 'string' ? r.name : '',
      severity: typeof r.severity === 'string' ? r.severity : '',
      fixable: r.fixable === true,
    }));
}

export interface DocHit {
  kind: string; // "rule" | "api"
  key: string; // "PT004" | "torch.from_numpy"
  title: string;
  snippet: string;
}

/** Results of the server's `ptlint.searchDocs`: a list, or `{results: [...]}`. */
export function parseSearchResults(result: unknown): DocHit[] {
  const list = Array.isArray(result)
    ? result
    : result && typeof result === 'object' && Array.isArray((result as { results?: unknown }).results)
      ? (result as { results: unknown[] }).results
      : [];
  const out: DocHit[] = [];
  for (const item of list) {
    if (!item || typeof item !== 'object') {
      continue;
    }
    const r = item as Record<string, unknown>;
    const key = typeof r.key === 'string' ? r.key : typeof r.code === 'string' ? r.code : '';
    if (!key) {
      continue;
    }
    out.push({
      kind: typeof r.kind === 'string' ? r.kind : /^PT\d+$/.test(key) ? 'rule' : 'api',
      key,
      title: typeof r.title === 'string' ? r.title : key,
      snippet: typeof r.snippet === 'string' ? r.snippet : '',
    });
  }
  return out;
}

/** The virtual document path under which a doc page is shown (`ptlint-docs:/PT004.md`). */
export function docPath(key: string, lang: string): string {
  return `/${key.replace(/[^\w.-]/g, '_')}.${lang}.md`;
}

/** The markdown of the server's `ptlint.explain` answer (`{code, name, markdown}`), if any. */
export function explainPage(result: unknown): string | undefined {
  if (result && typeof result === 'object' && typeof (result as { markdown?: unknown }).markdown === 'string') {
    return (result as { markdown: string }).markdown;
  }
  return undefined;
}

/** workspace/executeCommand params the extension sends for a doc search. */
export function searchDocsParams(query: string, lang: string): { command: string; arguments: unknown[] } {
  return { command: 'ptlint.searchDocs', arguments: [{ query: query.trim(), limit: 20, lang }] };
}

/** workspace/executeCommand params the extension sends for a rule's page. */
export function explainParams(code: string, lang: string): { command: string; arguments: unknown[] } {
  return { command: 'ptlint.explain', arguments: [{ code, lang }] };
}
