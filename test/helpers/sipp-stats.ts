/**
 * Reading SIPp's -trace_stat file (shared by the tests and the benches): a CSV with `;` separators,
 * a header row, then one row per -fd period whose `(C)` columns are cumulative.
 */
import { existsSync, readFileSync } from 'node:fs';

/** The last row of `file` as a column lookup (0 for a missing column), or undefined before the first row. */
export function lastSippStats(file: string): ((column: string) => number) | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  if (lines.length < 2) return undefined;
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  return (name) => {
    const i = head.indexOf(name);
    return i < 0 ? 0 : Number(last[i]) || 0;
  };
}
