// The rules asked about one message file: its header block read (bounded) and parsed, then routed. The
// one way both a sync (steps.ts) and `syncmail rules test` do it, so the test says what a sync does.
import type { FsPath, MaildirFs } from '../maildir/fs.js';
import { HEADER_LIMIT, parseHeaders, readHeaderBlock } from './headers.js';
import { defaultRoute, route } from './route.js';
import type { MessageView, Route, Rule } from './types.js';

export interface Routed {
  readonly route: Route;
  /** The headers the rules saw; absent when they were not read whole. */
  readonly view?: MessageView;
}

export function routeFile(
  fs: MaildirFs,
  path: FsPath,
  size: number,
  rules: readonly Rule[],
): Routed {
  const block = readHeaderBlock(fs, path, HEADER_LIMIT);
  if (!block.complete) return { route: defaultRoute('header-too-large') };
  const view = parseHeaders(block.bytes, size);
  return { route: route(rules, view), view };
}
