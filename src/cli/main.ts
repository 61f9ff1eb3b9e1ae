import { Command, CommanderError } from 'commander';
import { registerParse } from './commands/parse.js';
import { registerDemo } from './commands/demo.js';
import { registerTrace } from './commands/trace.js';
import { registerProxy } from './commands/proxy.js';
import { registerPhone } from './commands/phone.js';

/**
 * `switchboard` entry point. Each sub-command lives in ./commands/<name>.ts and registers
 * itself here. Returns the process exit status: 0 ok, 1 failure, 2 usage error.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name('switchboard')
    .description('SIP call control for Node.js: calls, hold and transfer, proxy/registrar, traces')
    .version(process.env.npm_package_version ?? '0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError('(run with --help for usage)');
  let status = 0;
  const setStatus = (code: number) => {
    status = code;
  };
  registerParse(program, setStatus);
  registerDemo(program, setStatus);
  registerPhone(program, setStatus);
  registerProxy(program, setStatus);
  registerTrace(program, setStatus);
  // further commands register here
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are not errors; everything else commander reports is a usage error
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return 0;
      return 2;
    }
    throw e;
  }
  return status;
}
