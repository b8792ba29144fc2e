// Telling `[user@]host:path` (over ssh) from a local path, the way rsync does: a colon before the first slash
// means remote. Also refuses what rsync would misread: rsync daemon syntax, a user, host or path that begins
// with '-' (rsync and ssh would take it for an option), and a server path starting with ~user.

import { isAbsolute } from 'node:path';
import type { Remote } from './types.js';

/** A remote split into its parts; `path` is not expanded yet; an IPv6 `host` keeps its [brackets]. */
export type SplitRemote = Remote;

export type Split =
  | { readonly ok: true; readonly remote: SplitRemote }
  | { readonly ok: false; readonly problem: string };

const HOST = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/; // a name or IPv4 address, or an ssh config Host alias
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/; // inside [brackets], with an optional %zone
const USER = /^[A-Za-z0-9._][A-Za-z0-9._@+-]*$/;

function refuse(problem: string): Split {
  return { ok: false, problem };
}

function checkUser(user: string | undefined): string | undefined {
  if (user === undefined) return undefined;
  if (user === '')
    return 'the user before "@" is empty; write user@host:path, or leave out "user@"';
  if (user.startsWith('-'))
    return `user "${user}" begins with "-", which ssh would read as an option`;
  if (!USER.test(user))
    return `user "${user}" may contain only letters, digits, ".", "_", "+", "@" and "-"`;
  return undefined;
}

function checkHost(host: string): string | undefined {
  if (host === '') return 'the host before ":" is empty; write host:path';
  if (host.startsWith('-'))
    return `host "${host}" begins with "-", which ssh would read as an option`;
  if (!HOST.test(host)) {
    const advice = host.includes('$') ? ' (variables are expanded only in the path after ":")' : '';
    return `host "${host}" may contain only letters, digits, ".", "_" and "-"${advice}`;
  }
  return undefined;
}

function sshRemote(
  user: string | undefined,
  host: string,
  path: string,
  checkedHost: string | undefined,
): Split {
  const problem = checkUser(user) ?? checkedHost;
  if (problem !== undefined) return refuse(problem);
  if (path.startsWith(':')) {
    return refuse(
      '"host::path" is rsync daemon syntax, which syncmail does not support; use host:path (one colon) to go over ssh',
    );
  }
  return { ok: true, remote: { kind: 'ssh', user, host, path } };
}

export function splitRemote(text: string): Split {
  if (/^rsync:\/\//i.test(text)) {
    return refuse(
      'rsync daemon addresses (rsync://…) are not supported; use [user@]host:path to go over ssh',
    );
  }

  // [user@][IPv6 address]:path
  const bracketed = /^(?:([^/@]*)@)?\[([^\]/]*)\]:(.*)$/s.exec(text);
  if (bracketed !== null) {
    const [, user, address = '', path = ''] = bracketed;
    // The brackets stay part of the host, as rsync needs them in [user@][::1]:path.
    const checked = IPV6.test(address) ? undefined : `"[${address}]" is not an IPv6 address`;
    return sshRemote(user, `[${address}]`, path, checked);
  }

  const colon = text.indexOf(':');
  const slash = text.indexOf('/');
  if (colon === -1 || (slash !== -1 && slash < colon))
    return { ok: true, remote: { kind: 'local', path: text } };

  const userHost = text.slice(0, colon);
  const at = userHost.lastIndexOf('@');
  const user = at === -1 ? undefined : userHost.slice(0, at);
  const host = userHost.slice(at + 1);
  return sshRemote(user, host, text.slice(colon + 1), checkHost(host));
}

/** Checks the (expanded) path part of a remote; returns a problem or undefined. */
export function checkRemotePath(path: string, kind: SplitRemote['kind']): string | undefined {
  if (path === '') {
    return kind === 'ssh'
      ? 'the path after ":" is empty; write host:path (a path relative to your home on the server is fine)'
      : 'must not be empty';
  }
  if (/[\0\n\r]/.test(path)) return 'the path must not contain a line break or NUL character';
  if (kind === 'local' && !isAbsolute(path)) {
    return `"${path}" is a relative path; give an absolute path (it may start with ~/), or host:path for a server`;
  }
  if (path.startsWith('-')) {
    return `path "${path}" begins with "-", which rsync would read as an option; write ./${path} if you mean it`;
  }
  // rsync gets server paths with --secluded-args, so no shell on the server expands ~user; it would be read as
  // a directory named "~user" in the home directory. A plain ~ or ~/ is fine: rsync/argv.ts sends it relative
  // to the home directory.
  if (kind === 'ssh' && /^~[^/]/.test(path)) {
    return `${JSON.stringify(path)}: ~user is not expanded on the server; write the full path`;
  }
  return undefined;
}
