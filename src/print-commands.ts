// --print: the exact commands a run would execute for each mailbox, shell-quoted so one can be pasted.
import type { Config } from './config/types.js';
import { mailboxPaths } from './maildir/layout.js';
import { shellCommand } from './output/shell-quote.js';
import { fetchArgv, removeArgv } from './rsync/argv.js';

export function printCommands(config: Config, names: readonly string[]): string {
  const lines: string[] = [];
  for (const mailbox of config.mailboxes.filter((m) => names.includes(m.name))) {
    const paths = mailboxPaths(mailbox.local, mailbox.name);
    lines.push(
      `# ${mailbox.name}: ${mailbox.remoteText} -> ${mailbox.local}`,
      "# 1. fetch the server's new/ into the stage (nothing is removed)",
      `LC_ALL=C ${shellCommand([config.rsync, ...fetchArgv(mailbox, config, paths)])}`,
      '# 2. link each staged message into new/ (never replacing a name), then flush the filesystem',
      shellCommand(['sync', '-f', paths.new]),
      '# 3. link the delivered messages into removing/new, then remove exactly those on the server',
      `LC_ALL=C ${shellCommand([config.rsync, ...removeArgv(mailbox, config, paths)])}`,
      '',
    );
  }
  return lines.join('\n');
}
