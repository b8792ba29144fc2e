// The local rsync must be 3.4.0 or newer: older clients can be made by a hostile server to write files
// outside the destination or leak local files (CVE-2024-12084..12088, CVE-2024-12747).
import { execa } from 'execa';
import { ConfigError } from '../errors.js';

export const MINIMUM = [3, 4, 0] as const;

/** Pure: "rsync  version 3.5.0  protocol version 32" → [3, 5, 0]. */
export function parseRsyncVersion(text: string): [number, number, number] | undefined {
  const match = /rsync\s+version\s+v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function isSupported(version: readonly number[]): boolean {
  for (let i = 0; i < MINIMUM.length; i += 1) {
    const have = version[i] ?? 0;
    const need = MINIMUM[i] ?? 0;
    if (have !== need) return have > need;
  }
  return true;
}

export async function checkRsyncVersion(
  program: string,
  env: Record<string, string>,
): Promise<string> {
  const result = await execa(program, ['--version'], {
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  if (result.exitCode === undefined || (result.failed && result.stdout === '')) {
    throw new ConfigError(
      undefined,
      [`cannot run "${program}": ${result.shortMessage}`],
      'install rsync 3.4.0 or newer (Debian: apt-get install rsync), or set "rsync" in the config to its full path',
    );
  }
  const version = parseRsyncVersion(String(result.stdout));
  if (version === undefined) {
    throw new ConfigError(
      undefined,
      [`"${program} --version" did not print an rsync version`],
      'set "rsync" in the config to a real rsync',
    );
  }
  if (!isSupported(version)) {
    throw new ConfigError(
      undefined,
      [
        `rsync ${version.join('.')} is too old: syncmail needs 3.4.0 or newer (older clients have known security holes a hostile server can use)`,
      ],
      'upgrade rsync (Debian 12: apt-get install -t bookworm-security rsync; elsewhere your package manager or rsync.samba.org), or set "rsync" to a newer one',
    );
  }
  return version.join('.');
}
