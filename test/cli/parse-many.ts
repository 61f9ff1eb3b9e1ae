/**
 * `switchboard parse FILE` for many files in one process (node start-up is most of a CLI test's time
 * on a loaded machine): runs the CLI's main() per file with stdout and stderr captured, mirroring
 * bin/switchboard.js for a thrown error, and prints [{ file, code, stdout, stderr }] as JSON.
 */
import { main } from '../../src/cli/main.js';

const write = process.stdout.write.bind(process.stdout);
const writeErr = process.stderr.write.bind(process.stderr);
const results: { file: string; code: number; stdout: string; stderr: string }[] = [];
for (const file of process.argv.slice(2)) {
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((c: string | Uint8Array) => ((stdout += String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => ((stderr += String(c)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(['node', 'switchboard', 'parse', file]);
  } catch (e) {
    stderr += `error: ${(e as Error).message}\n`;
    code = 1;
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  results.push({ file, code, stdout, stderr });
}
write(JSON.stringify(results) + '\n');
