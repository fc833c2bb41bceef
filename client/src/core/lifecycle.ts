// The server's life in the extension: crash restarts and which commands are whose.
// No `vscode` import.

/** Commands the extension registers itself (package.json contributes exactly these). */
export const OWN_COMMANDS = [
  'ptlint.restart',
  'ptlint.runProbe',
  'ptlint.explainRule',
  'ptlint.searchDocsPrompt',
  'ptlint.showOutput',
] as const;

/**
 * Allows `max` restarts within `windowMs`; after that the server stays down until the
 * user restarts it, so a server that dies at start-up cannot spin in a crash loop.
 */
export class RestartBudget {
  private times: number[] = [];

  constructor(
    private readonly max = 3,
    private readonly windowMs = 3 * 60_000,
  ) {}

  /** Records a crash at `now`; true when one more restart is allowed. */
  crashed(now: number): boolean {
    this.times = this.times.filter((t) => now - t < this.windowMs);
    this.times.push(now);
    return this.times.length <= this.max;
  }

  reset(): void {
    this.times = [];
  }
}

/**
 * Server commands (executeCommandProvider) that vscode-languageclient should register
 * as VS Code commands: all but those the extension registers itself with its own UI
 * (registering one id twice throws).
 */
export function clientSideCommands(serverCommands: readonly string[], ownCommands: readonly string[] = OWN_COMMANDS): string[] {
  return serverCommands.filter((c) => !ownCommands.includes(c));
}
