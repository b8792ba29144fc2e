// A command's --help text read back as structure, so the shell completions and the man page are
// made from the very text --help prints and cannot drift from it. Pure.
//
// The help texts are written to one layout: a `Usage: ` line, then blocks separated by blank lines.
// A block whose first line is a heading alone (`Options:`, `Exit codes:`) is a list: each item
// starts on a line of its own, its tag ends at the first run of two or more spaces, and lines
// indented as far as its description continue it (a long tag may stand alone on its line, its
// description below). Any other block is prose; in it, lines that start `  - ` are bullets and
// other indented lines are kept as they are.

export interface Item {
  readonly tag: string;
  readonly text: string;
}

export type Piece =
  | { readonly kind: 'text'; readonly lines: readonly string[] }
  | { readonly kind: 'bullet'; readonly text: string }
  | { readonly kind: 'verbatim'; readonly lines: readonly string[] };

export type Block =
  | { readonly kind: 'prose'; readonly pieces: readonly Piece[] }
  | { readonly kind: 'list'; readonly heading: string; readonly items: readonly Item[] };

export interface HelpText {
  /** What follows `Usage: `: `syncmail rules test [options] FILE|MAILDIR...`. */
  readonly usage: string;
  readonly blocks: readonly Block[];
}

const HEADING = /^[A-Z][A-Za-z ]*:$/;

function blocksOf(lines: readonly string[]): string[][] {
  const blocks: string[][] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      if (current.length > 0) blocks.push(current);
      current = [];
    } else current.push(line.trimEnd());
  }
  if (current.length > 0) blocks.push(current);
  return blocks;
}

interface Building {
  readonly tag: string;
  readonly text: string[];
  readonly indent: number;
  /** Where its description starts; a line indented that far or more continues it. */
  column: number | undefined;
}

function listItems(lines: readonly string[]): Item[] {
  const items: Building[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    const indent = line.length - line.trimStart().length;
    const last = items.at(-1);
    // A tag alone on its line (`  -t, --max-time SECONDS`) takes its column from the next line.
    if (last !== undefined && indent >= (last.column ?? last.indent + 1)) {
      last.column ??= indent;
      last.text.push(trimmed);
      continue;
    }
    const [, tag = trimmed, text] = /^(\S.*?)(?: {2,}(\S.*))?$/.exec(trimmed) ?? [];
    const column = text === undefined ? undefined : indent + trimmed.length - text.length;
    items.push({ tag, text: text === undefined ? [] : [text], indent, column });
  }
  return items.map((i) => ({ tag: i.tag, text: i.text.join(' ') }));
}

function prosePieces(lines: readonly string[]): Piece[] {
  const pieces: Piece[] = [];
  for (const line of lines) {
    const last = pieces.at(-1);
    if (line.startsWith('  - ')) pieces.push({ kind: 'bullet', text: line.slice(4).trim() });
    else if (/^ {4}\S/.test(line) && last?.kind === 'bullet')
      pieces[pieces.length - 1] = { kind: 'bullet', text: `${last.text} ${line.trim()}` };
    else if (line.startsWith(' ')) {
      if (last?.kind === 'verbatim')
        pieces[pieces.length - 1] = { ...last, lines: [...last.lines, line] };
      else pieces.push({ kind: 'verbatim', lines: [line] });
    } else if (last?.kind === 'text')
      pieces[pieces.length - 1] = { ...last, lines: [...last.lines, line] };
    else pieces.push({ kind: 'text', lines: [line] });
  }
  return pieces;
}

export function parseHelp(help: string): HelpText {
  const lines = help.split('\n');
  const first = lines[0] ?? '';
  const usage = first.startsWith('Usage: ') ? first.slice('Usage: '.length).trim() : '';
  const blocks = blocksOf(usage === '' ? lines : lines.slice(1)).map((block): Block => {
    const [head, ...rest] = block;
    if (head !== undefined && HEADING.test(head) && rest.every((l) => l.startsWith('  ')))
      return { kind: 'list', heading: head.slice(0, -1), items: listItems(rest) };
    return { kind: 'prose', pieces: prosePieces(block) };
  });
  return { usage, blocks };
}

/** The items of the list under `heading` (e.g. "Options"), none when there is no such list. */
export function listUnder(help: HelpText, heading: string): readonly Item[] {
  for (const b of help.blocks) if (b.kind === 'list' && b.heading === heading) return b.items;
  return [];
}
