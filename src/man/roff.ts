// The man page, syncmail(1), as roff made from the commands' --help texts: the page says what
// --help says, and a new option is in it as soon as it is documented. Pure; scripts/man.mjs runs it
// at build.
import { type Block, type HelpText, type Item, listUnder, parseHelp } from '../help/sections.js';

/**
 * Text for a roff text line: a backslash is roff's escape; `-` is a hyphen to roff but must be the
 * minus sign a person types in options; quotes are kept straight for copying; any other character
 * beyond ASCII is named by its code point, which groff and mandoc both read.
 */
export function escapeText(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\\') out += '\\e';
    else if (ch === '-') out += '\\-';
    else if (ch === "'") out += '\\(aq';
    else if (ch === '`') out += '\\(ga';
    else if (ch === '"') out += '\\(dq';
    else if (ch.codePointAt(0)! > 0x7e || ch.codePointAt(0)! < 0x20) {
      const hex = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      out += `\\[u${hex}]`;
    } else out += ch;
  }
  return out;
}

/** A whole text line: one starting with `.` or `'` would be read as a request, unless guarded. */
export function textLine(text: string): string {
  return guarded(escapeText(text.trim()));
}

/** A list item's tag: options in bold, placeholders (FILE, SECONDS) in italics. */
export function tagLine(tag: string): string {
  const words = tag.split(' ').map((word) => {
    const [, core = word, comma = ''] = /^(.*?)(,?)$/.exec(word) ?? [];
    if (/^-/.test(core) || /^\d/.test(core)) return `\\fB${escapeText(core)}\\fR${comma}`;
    if (/^[A-Z][A-Z_.|]*$/.test(core)) return `\\fI${escapeText(core)}\\fR${comma}`;
    return escapeText(word);
  });
  return guarded(words.join(' '));
}

function guarded(roff: string): string {
  return /^[.']/.test(roff) ? `\\&${roff}` : roff;
}

function itemLines(items: readonly Item[]): string[] {
  return items.flatMap((i) => [
    '.TP',
    tagLine(i.tag),
    ...(i.text === '' ? [] : [textLine(i.text)]),
  ]);
}

function blockLines(block: Block, heading: (name: string) => string[]): string[] {
  if (block.kind === 'list') return [...heading(block.heading), ...itemLines(block.items)];
  const lines: string[] = ['.PP'];
  let afterList = false;
  for (const piece of block.pieces) {
    if (piece.kind === 'bullet') {
      lines.push('.IP \\(bu 2', textLine(piece.text));
      afterList = true;
      continue;
    }
    if (afterList) lines.push('.PP');
    afterList = false;
    if (piece.kind === 'text') lines.push(...piece.lines.map(textLine));
    else {
      const indent = Math.min(...piece.lines.map((l) => l.length - l.trimStart().length));
      const kept = piece.lines.map((l) => escapeText(l.slice(indent))).map((l) => `\\&${l}`);
      lines.push('.RS 2', '.nf', ...kept, '.fi', '.RE');
    }
  }
  return lines;
}

export interface ManInput {
  readonly version: string;
  /** One line for NAME: what syncmail does. */
  readonly description: string;
  /** `syncmail --help`: the default command's help, then the command list. */
  readonly overview: string;
  /** `syncmail help NAME` for each command in the overview's list. */
  readonly helps: Readonly<Record<string, string>>;
}

/** The commands the overview lists, with their one-line summaries, `help` left out. */
export function listedCommands(overview: string): Item[] {
  return listUnder(parseHelp(overview), 'Commands').filter((i) => i.tag !== 'help');
}

function synopsisLines(usage: string): string[] {
  const rest = usage.replace(/^syncmail\s*/, '');
  return ['.B syncmail', ...(rest === '' ? [] : [textLine(rest)]), '.br'];
}

const SECTION: Readonly<Record<string, string>> = {
  Options: 'OPTIONS',
  'Exit codes': 'EXIT STATUS',
};

function mainSections(sync: HelpText): { description: string[]; sections: string[] } {
  const description: string[] = [];
  const sections: string[] = [];
  for (const block of sync.blocks) {
    if (block.kind === 'prose') description.push(...blockLines(block, () => []));
    else {
      const title = SECTION[block.heading] ?? block.heading.toUpperCase();
      sections.push(...blockLines(block, () => [`.SH ${textLine(title)}`]));
    }
  }
  return { description, sections };
}

export function renderMan(input: ManInput): string {
  const commands = listedCommands(input.overview);
  const parsed = commands.map((c) => ({ ...c, help: parseHelp(input.helps[c.tag] ?? '') }));
  const sync = parsed.find((c) => c.tag === 'sync')?.help ?? parseHelp(input.overview);
  const others = parsed.filter((c) => c.tag !== 'sync');
  const main = mainSections(sync);
  const [options, exitStatus] = splitAt(main.sections, '.SH EXIT STATUS');
  const lines = [
    '.\\" syncmail(1), made by scripts/man.mjs from the --help texts: edit those, not this.',
    `.TH SYNCMAIL 1 "" "syncmail ${escapeText(input.version)}" "User Commands"`,
    // No hyphenation (an option split over two lines cannot be copied) and no stretched spaces.
    '.nh',
    '.ad l',
    '.SH NAME',
    `syncmail \\- ${escapeText(input.description)}`,
    '.SH SYNOPSIS',
    ...synopsisLines(sync.usage),
    ...others.flatMap((c) => synopsisLines(c.help.usage)),
    '.SH DESCRIPTION',
    ...main.description,
    ...options,
    ...(others.length > 0 ? ['.SH COMMANDS'] : []),
    ...others.flatMap((c) => [
      `.SS ${textLine(c.help.usage || `syncmail ${c.tag}`)}`,
      ...c.help.blocks.flatMap((b) =>
        blockLines(b, (name) => ['.PP', `.B ${textLine(`${name}:`)}`]),
      ),
    ]),
    ...exitStatus,
    '.SH SEE ALSO',
    '.BR rsync (1),',
    '.BR ssh (1),',
    '.BR crontab (5),',
    '.BR systemd.timer (5),',
    '.BR mutt (1)',
  ];
  return `${lines.join('\n')}\n`;
}

/** The lines before `marker`, and from it on. */
function splitAt(lines: readonly string[], marker: string): [string[], string[]] {
  const at = lines.indexOf(marker);
  return at < 0 ? [[...lines], []] : [lines.slice(0, at), lines.slice(at)];
}
