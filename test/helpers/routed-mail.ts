// Mail for the routing scenarios of faults.ts: messages given the headers routing rules look at (a
// List-Id, a From domain, an X-Invoice header, an alert's Subject), and two rule sets for a config, each
// with the test's own reading of it: a function from a message's bytes to the folders it must end up in.
// That reading is written here from the rules' documentation (.syncmailrc.example), not taken from
// src/rules, so a rule syncmail evaluates or places wrongly shows up as a misrouted message.
import { type Message, sha1 } from './maildir.js';

export const INBOX = 'INBOX';

/**
 * Where a message must end up: the folder its rules chose first, then each folder that keeps a copy
 * (a hard link). `seen`: delivered as read, so in cur/ as NAME:2,S in each of them.
 */
export interface Placement {
  readonly folders: readonly string[];
  readonly seen: boolean;
}

export const INBOX_ONLY: Placement = { folders: [INBOX], seen: false };

export interface Routing {
  readonly label: string;
  /** Top-level config lines: trashFolder and the rules. */
  readonly yaml: readonly string[];
  /** Every folder these rules can deliver to, INBOX aside. */
  readonly folders: readonly string[];
  /** Where these rules send a message: read from its header block by the test. */
  route(content: Buffer): Placement;
}

/** The directory of a folder under a mailbox's local Maildir, Maildir++ style (the default folderStyle). */
export function folderPath(local: string, folder: string): string {
  return folder === INBOX ? local : `${local}/.${folder.replaceAll('/', '.')}`;
}

// ---------------------------------------------------------------------------------------------------------
// Headers

/** The kinds of mail the rules tell apart; `plain` no rule matches. */
export type MailKind = 'list' | 'shop' | 'invoice' | 'shop-invoice' | 'alert' | 'report' | 'plain';

export const MAIL_KINDS: readonly MailKind[] = [
  'list',
  'shop',
  'invoice',
  'alert',
  'plain',
  'shop-invoice',
  'report',
];

/**
 * The headers of a kind. `variant` picks among spellings the rules must see through: header names in
 * another case, a folded List-Id, a subdomain, an encoded-word Subject.
 */
function headersOf(kind: MailKind, variant: number, seq: string): [string, string][] {
  const odd = variant % 2 === 1;
  switch (kind) {
    case 'list':
      return [
        odd
          ? ['list-id', '"Dev discussion"\n\t<DEV.lists.example.org>']
          : ['List-Id', 'Dev discussion <dev.lists.example.org>'],
      ];
    case 'shop':
      return [
        ['From', odd ? 'Orders <orders@eu.shop.example.com>' : 'Shop <shop@shop.example.com>'],
      ];
    case 'invoice':
      return [
        ['From', 'Billing <billing@vendor.example>'],
        [odd ? 'x-invoice' : 'X-Invoice', `INV-${seq}`],
      ];
    case 'shop-invoice':
      return [
        ['From', 'Shop <shop@shop.example.com>'],
        ['X-Invoice', `SHOP-${seq}`],
      ];
    case 'alert':
      return [
        ['From', 'Nagios <nagios@alerts.example.net>'],
        [
          'Subject',
          odd ? '=?utf-8?q?RECOVERY=3A_disk_/var_is_fine?=' : 'PROBLEM: disk /var is full',
        ],
      ];
    case 'report':
      return [
        ['From', 'Nagios <nagios@alerts.example.net>'],
        ['Subject', `weekly report ${seq}`],
      ];
    case 'plain':
      return [];
  }
}

/**
 * The message with the headers of `kind`: a header it already has (From, Subject) is replaced, the
 * others come first. Same name, new bytes (and sha1).
 */
export function dress(m: Message, kind: MailKind, variant = 0): Message {
  const text = m.content.toString('latin1');
  const end = text.indexOf('\n\n');
  const head = end === -1 ? text : text.slice(0, end + 1);
  const body = end === -1 ? '' : text.slice(end + 1);
  const set = headersOf(kind, variant, m.name.slice(0, 10));
  const names = new Set(set.map(([n]) => n.toLowerCase()));
  const kept = head
    .split('\n')
    .filter((line) => line !== '' && !names.has(line.slice(0, line.indexOf(':')).toLowerCase()));
  const lines = [...set.map(([n, v]) => `${n}: ${v}`), ...kept];
  const content = Buffer.from(`${lines.join('\n')}\n${body}`, 'latin1');
  return { name: m.name, content, sha1: sha1(content) };
}

/** Messages with kinds drawn in turn from `kinds` (a fixed order: every kind is there). */
export function dressAll(messages: readonly Message[], kinds = MAIL_KINDS): Message[] {
  return messages.map((m, i) =>
    dress(m, kinds[i % kinds.length] as MailKind, Math.floor(i / kinds.length)),
  );
}

/** RFC 2047 encoded words, the two encodings, enough for the Subjects above. */
function decodeWords(value: string): string {
  return value.replace(/=\?[^?]+\?([qQbB])\?([^?]*)\?=/g, (_all, enc: string, text: string) =>
    enc.toLowerCase() === 'b'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(
          text
            .replaceAll('_', ' ')
            .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
              String.fromCharCode(Number.parseInt(hex, 16)),
            ),
          'latin1',
        ).toString('utf8'),
  );
}

/** The header block, unfolded: lower-case name → the first value. */
export function readHeaders(content: Buffer): Map<string, string> {
  const text = content.toString('latin1');
  const end = text.indexOf('\n\n');
  const lines = (end === -1 ? text : text.slice(0, end)).split('\n');
  const unfolded: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && unfolded.length > 0)
      unfolded[unfolded.length - 1] += ` ${line.trim()}`;
    else unfolded.push(line);
  }
  const headers = new Map<string, string>();
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, decodeWords(line.slice(colon + 1).trim()));
  }
  return headers;
}

function listIdOf(h: Map<string, string>): string {
  const v = h.get('list-id') ?? '';
  const m = /<([^>]*)>\s*$/.exec(v);
  return (m?.[1] ?? v).trim().toLowerCase();
}

/** The From address's domain is `domain` or one of its subdomains. */
function fromDomain(h: Map<string, string>, domain: string): boolean {
  const v = h.get('from') ?? '';
  const address = (/<([^>]*)>/.exec(v)?.[1] ?? v).trim().toLowerCase();
  const d = address.slice(address.lastIndexOf('@') + 1);
  return d === domain || d.endsWith(`.${domain}`);
}

const ALERT = /^(PROBLEM|RECOVERY)/;

// ---------------------------------------------------------------------------------------------------------
// The rule sets

/** The rules a routing scenario starts with: five folders, one of them only for copies, and the trash. */
export const RULES_A: Routing = {
  label: 'rules A',
  yaml: [
    'trashFolder: Trash',
    'rules:',
    '  - name: dev-list',
    '    match: { list: dev.lists.example.org }',
    '    folder: lists/dev',
    '  - name: shop',
    '    match: { from: "@shop.example.com" }',
    '    folder: shopping',
    '    copy: archive',
    '  - name: invoices',
    '    match: { header: { name: X-Invoice, exists: true } }',
    '    folder: finance',
    '    seen: true',
    '    copy: archive',
    '  - name: alerts',
    '    match: { from: "@alerts.example.net", subject: { regex: "^(PROBLEM|RECOVERY)" } }',
    '    trash: true',
  ],
  folders: ['lists/dev', 'shopping', 'finance', 'archive', 'Trash'],
  route(content) {
    const h = readHeaders(content);
    if (listIdOf(h) === 'dev.lists.example.org') return { folders: ['lists/dev'], seen: false };
    if (fromDomain(h, 'shop.example.com')) return { folders: ['shopping', 'archive'], seen: false };
    if (h.has('x-invoice')) return { folders: ['finance', 'archive'], seen: true };
    if (fromDomain(h, 'alerts.example.net') && ALERT.test(h.get('subject') ?? ''))
      return { folders: ['Trash'], seen: true };
    return INBOX_ONLY;
  },
};

/**
 * The rules changed: every kind but plain goes elsewhere (other folders, other copies, the trash
 * renamed, the order of two rules swapped, mail that went to INBOX now has a folder).
 */
export const RULES_B: Routing = {
  label: 'rules B',
  yaml: [
    'trashFolder: Deleted',
    'rules:',
    '  - name: dev-list',
    '    match: { list: dev.lists.example.org }',
    '    folder: lists.devel',
    '  - name: invoices',
    '    match: { header: { name: X-Invoice, exists: true } }',
    '    folder: bills',
    '    copy: [receipts]',
    '  - name: shop',
    '    match: { from: "@shop.example.com" }',
    '    folder: purchases',
    '    seen: true',
    '  - name: alerts',
    '    match: { from: "@alerts.example.net", subject: { regex: "^(PROBLEM|RECOVERY)" } }',
    '    trash: true',
    '  - name: reports',
    '    match: { from: "@alerts.example.net" }',
    '    folder: reports',
  ],
  folders: ['lists.devel', 'bills', 'receipts', 'purchases', 'Deleted', 'reports'],
  route(content) {
    const h = readHeaders(content);
    if (listIdOf(h) === 'dev.lists.example.org') return { folders: ['lists.devel'], seen: false };
    if (h.has('x-invoice')) return { folders: ['bills', 'receipts'], seen: false };
    if (fromDomain(h, 'shop.example.com')) return { folders: ['purchases'], seen: true };
    if (fromDomain(h, 'alerts.example.net'))
      return ALERT.test(h.get('subject') ?? '')
        ? { folders: ['Deleted'], seen: true }
        : { folders: ['reports'], seen: false };
    return INBOX_ONLY;
  },
};
