// The words `syncmail WORD` reserves for its subcommands, those it has and those planned. No mailbox may
// be named one of them (the config is refused), so `syncmail NAME` is never ambiguous.
export const COMMAND_NAMES = [
  'sync',
  'check',
  'log',
  'status',
  'verify',
  'rules',
  'completion',
  'install-systemd',
  'help',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];
