// The local rsync: can it be run, is it new enough for syncmail (rsync/version.ts decides, as a sync
// does), and does it have the client-side security fixes against a hostile server. A version number
// alone cannot say: distributions backport fixes and keep it, so Debian's package revision is read too.
import { execa } from 'execa';
import type { Config } from '../config/types.js';
import { EXIT } from '../errors.js';
import { rsyncEnv } from '../rsync/argv.js';
import {
  compareVersions,
  missingFeature,
  OLDEST_TESTED,
  parseRsyncVersion,
  type Version,
} from '../rsync/version.js';
import { type Finding, ok, problem, warn } from './finding.js';
import { findProgram, realProgram } from './which.js';

const SUBJECT = 'rsync';

/**
 * Upstream releases with client-side fixes that matter against a hostile server, and the first
 * revision of Debian 12's 3.2.7-1+deb12uN with the same fixes (docs/rsync-behaviour.md; for 3.4.0's,
 * deb12u1 had them and deb12u2 fixed a use-after-free they brought).
 */
export const SECURITY_FIXES: ReadonlyArray<{
  readonly release: Version;
  readonly debian: number;
  readonly cves: string;
  readonly harm: string;
}> = [
  {
    release: [3, 4, 0],
    debian: 2,
    cves: 'CVE-2024-12084 to -12088, CVE-2024-12747',
    harm: 'a malicious server can write outside the destination, read local files or crash rsync',
  },
  {
    release: [3, 4, 3],
    debian: 5,
    cves: 'CVE-2026-43618, -43620',
    harm: "a malicious server can read the receiving rsync's memory",
  },
];

const DEBIAN_12 = /^3\.2\.7-1\+deb12u(\d+)$/;
const SECURITY = 'rsync security';

/**
 * Pure: what the local rsync's version and package revision say about the security fixes.
 * `packaged`: the Debian package version (dpkg-query), when the rsync run is the package's.
 */
export function securityFindings(version: Version, packaged: string | undefined): Finding[] {
  const shown = version.join('.');
  const missing = SECURITY_FIXES.filter((fix) => compareVersions(version, fix.release) < 0);
  if (missing.length === 0) return [ok(SECURITY, `${shown} has the upstream fixes`)];
  const deb = packaged === undefined ? undefined : DEBIAN_12.exec(packaged);
  const revision = deb ? Number(deb[1]) : undefined;
  const backported = missing.filter((fix) => revision !== undefined && revision >= fix.debian);
  const found: Finding[] = [];
  if (backported.length > 0) {
    const newest = backported.at(-1)!.release.join('.');
    const cves = backported.map((fix) => fix.cves).join(', ');
    found.push(
      ok(
        SECURITY,
        `${shown} is older than ${newest}, but fixed by Debian's backports (${packaged}): ${cves}`,
      ),
    );
  }
  for (const fix of missing) {
    if (backported.includes(fix)) continue;
    const debian =
      revision !== undefined
        ? `; Debian's 3.2.7-1+deb12u${fix.debian} has them, this is ${packaged}`
        : packaged !== undefined
          ? `; the package ${packaged} may have them backported: its changelog lists the CVEs`
          : '';
    found.push(
      warn(
        SECURITY,
        `${shown} is older than ${fix.release.join('.')}: update (${fix.cves}: ${fix.harm})${debian}`,
        'update rsync with your package manager (Debian 12: apt-get install rsync, from bookworm-security), or set "rsync" in the config to a newer one',
      ),
    );
  }
  return found;
}

export interface RsyncAnswer {
  /** `rsync --version`'s output, or undefined when it could not run. */
  readonly stdout: string | undefined;
  readonly failure: string | undefined;
}

/** Pure: whether syncmail can use the rsync that answered, as the sync's check says it. */
export function versionFindings(
  program: string,
  where: string | undefined,
  answer: RsyncAnswer,
  packaged: string | undefined,
): Finding[] {
  if (answer.stdout === undefined)
    return [
      problem(
        SUBJECT,
        EXIT.config,
        `cannot run "${program}": ${answer.failure ?? 'unknown failure'}`,
        'install rsync (Debian and Ubuntu: apt-get install rsync), or set "rsync" in the config to its full path',
      ),
    ];
  const version = parseRsyncVersion(answer.stdout);
  if (version === undefined)
    return [
      problem(
        SUBJECT,
        EXIT.config,
        `"${program} --version" did not print an rsync version`,
        'set "rsync" in the config to a real rsync',
      ),
    ];
  const shown = version.join('.');
  const missing = missingFeature(version);
  if (missing !== undefined)
    return [
      problem(
        SUBJECT,
        EXIT.config,
        `rsync ${shown} is too old: syncmail needs ${OLDEST_TESTED.join('.')} or newer, for ${missing}`,
        'upgrade rsync with your package manager (Debian 12, Ubuntu 22.04 and 24.04 ship 3.2.7), or set "rsync" in the config to a newer one',
      ),
    ];
  const build = packaged === undefined ? '' : `, package ${packaged}`;
  return [
    ok(SUBJECT, `${shown} (${where ?? program}${build})`),
    ...securityFindings(version, packaged),
  ];
}

/** The package version of Debian's rsync, when `file` is the one dpkg installed. */
async function debianPackage(file: string | undefined): Promise<string | undefined> {
  if (file === undefined || !['/usr/bin/rsync', '/bin/rsync'].includes(realProgram(file)))
    return undefined;
  const result = await execa('dpkg-query', ['-W', '-f=${Version}', 'rsync'], {
    reject: false,
    stdin: 'ignore',
    timeout: 10_000,
  });
  const text = String(result.stdout ?? '').trim();
  return result.exitCode === 0 && text !== '' ? text : undefined;
}

export async function checkLocalRsync(
  config: Pick<Config, 'rsync'>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Finding[]> {
  const clean = rsyncEnv(env);
  const where = findProgram(config.rsync, clean['PATH']);
  const result = await execa(config.rsync, ['--version'], {
    env: clean,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 10_000,
  });
  const ran = result.exitCode !== undefined && !(result.failed && result.stdout === '');
  const answer = ran
    ? { stdout: String(result.stdout), failure: undefined }
    : { stdout: undefined, failure: result.shortMessage };
  return versionFindings(config.rsync, where, answer, ran ? await debianPackage(where) : undefined);
}
