#!/usr/bin/env node
// Builds dist/: src/cli.ts and everything it imports, bundled by esbuild into a few ES modules.
//
// Why a bundle: Node's module loader resolved, opened and compiled some 200 files (execa alone ~90) on
// every run, which was about half of an empty sync (measured: importing execa unbundled cost ~0.14 s,
// bundled ~0.04 s). The code that only some runs need (postal-mime, for rules) stays in chunks of its
// own, loaded when a rule is asked. Type checking is tsc's job (npm run typecheck), not this script's.
import { chmodSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeMan } from './man.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'src', 'cli.ts')],
  outdir: dist,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The dependencies that are CommonJS (cosmiconfig, js-yaml, cross-spawn) call require() for Node's
  // own modules; an ES module has no require of its own.
  banner: {
    js: "import { createRequire as __syncmailRequire } from 'node:module'; const require = __syncmailRequire(import.meta.url);",
  },
  // cosmiconfig loads TypeScript only for a syncmail.config.ts, and only if it is installed.
  external: ['typescript'],
  sourcemap: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
chmodSync(path.join(dist, 'cli.js'), 0o755);
// The man page is made from the --help texts of the bundle just built (scripts/man.mjs).
await writeMan(root);
