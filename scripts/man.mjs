#!/usr/bin/env node
// Makes dist/syncmail.1, the man page, from the --help texts of the syncmail just built: it runs
// `node dist/cli.js help` for the command list and `help NAME` for each command, and renders them
// with src/man/roff.ts (bundled here in memory by esbuild, as build.mjs bundles the rest: the
// renderer is TypeScript, unit-tested there, and not shipped). Run by scripts/build.mjs.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

async function renderer(root) {
  const out = await build({
    entryPoints: [path.join(root, 'src', 'man', 'roff.ts')],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
  const code = out.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

/** Writes ROOT/dist/syncmail.1 from ROOT/dist/cli.js; returns its path. */
export async function writeMan(root) {
  const { renderMan, listedCommands } = await renderer(root);
  const cli = path.join(root, 'dist', 'cli.js');
  const help = (...words) =>
    execFileSync(process.execPath, [cli, 'help', ...words], { encoding: 'utf8' });
  const overview = help();
  const helps = Object.fromEntries(listedCommands(overview).map((c) => [c.tag, help(c.tag)]));
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const description = pkg.description.charAt(0).toLowerCase() + pkg.description.slice(1);
  const file = path.join(root, 'dist', 'syncmail.1');
  writeFileSync(file, renderMan({ version: pkg.version, description, overview, helps }));
  return file;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await writeMan(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
}
