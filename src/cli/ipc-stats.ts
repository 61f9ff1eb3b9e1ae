/**
 * A stats hook for benchmarks (`npm run soak`): when the CLI runs as a child with an IPC channel,
 * a `{type:'stats'}` message is answered with the heap after a full collection (when node runs with
 * --expose-gc), the RSS, and the sizes of the element's tables. Without an IPC channel it does
 * nothing, so a user never sees it.
 */
export interface IpcStats {
  type: 'stats';
  heapUsed: number;
  rss: number;
  /** True when the heap was measured after a forced full collection. */
  afterGc: boolean;
  tables: Record<string, number>;
}

/** Answers stats requests on the IPC channel; returns a function that stops answering. */
export function answerStatsOverIpc(tables: () => Record<string, number>): () => void {
  if (!process.send) return () => {};
  const onMessage = (m: unknown): void => {
    if (typeof m !== 'object' || m === null || (m as { type?: unknown }).type !== 'stats') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    // twice: the first pass can leave objects whose finalisers free more
    gc?.();
    gc?.();
    const mem = process.memoryUsage();
    const reply: IpcStats = { type: 'stats', heapUsed: mem.heapUsed, rss: mem.rss, afterGc: !!gc, tables: tables() };
    process.send?.(reply);
  };
  process.on('message', onMessage);
  // the channel must not keep the element alive: it exits on its own signals and commands
  process.channel?.unref();
  return () => process.off('message', onMessage);
}
