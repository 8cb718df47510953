/**
 * One generation at a time per engine, first come first served. A request whose signal aborts while it
 * waits leaves the queue at once; the ones behind it still wait for the generation in front.
 */
export class Turns {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves when every generation queued so far has ended (for unload). */
  idle(): Promise<void> {
    return this.tail;
  }

  /** Waits for this request's turn: `release` ends it; null when the signal aborted first. */
  async take(signal: AbortSignal): Promise<(() => void) | null> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<'abort'>((resolve) => {
      onAbort = () => resolve('abort');
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const turn = await Promise.race([previous.then(() => 'turn' as const), aborted]);
    signal.removeEventListener('abort', onAbort!);
    if (turn === 'abort') {
      // Our place in the chain passes on when the request in front ends.
      void previous.then(release);
      return null;
    }
    return release;
  }
}
