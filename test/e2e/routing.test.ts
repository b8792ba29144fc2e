// Routing rules end to end: the real rsync over the real test sshd on 127.0.0.1, main() in-process (the
// built CLI where the exit status of a real process is the point), real Maildir folders in temp dirs, a
// real tmpfs for "another filesystem". Each case compares every folder's whole new/ and cur/ with the
// files it expects, byte for byte, and cleans its temp dir (and mounts) up, passed or failed.
//
//   1. every kind of rule over ssh: List-Id, From, To/Cc, Subject (RFC 2047), X-headers, size, copies,
//      trash, seen, flag, continue; copies are hard links; folders are Maildir++ folders, 0700
//   2. folderStyle plain, with a folders: directory elsewhere on the same filesystem, nested names
//   3. a leftover already in a folder (the reader moved it to cur/) is recognised, also where the
//      rules no longer send it: (a) by hand, (b) a run cut short before the remove pass, (c) in a
//      folder no rule names, with no journal
//   4. a run cut short after its intents are journaled, then the rules change: nothing in two folders;
//      (b) the reader reads a copy linked before the cut; (c) the journaled folder is removed
//   5. a bad rule config: 78, the key path named, nothing moved or created
//   6. a folder on another filesystem: 78, the folder named, nothing moved, nothing created there
//   7. a header block over 1 MiB goes to INBOX (an `unrouted` event); a message with no blank line is
//      routed by its headers
//   8. --dry-run with rules moves nothing and says the folder is chosen once the message is fetched
//   9. hostile server file names routed into a folder arrive under the same bytes
//
// One sshd for the file, the system rsync at both ends (sync.test.ts runs every rsync pair), small
// messages: the file stays within seconds. Needs root (sshd, mount) and the build (npm run build).
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type MaildirFs, realFs } from '../../src/maildir/fs.js';
import { foldJournal, type Pending } from '../../src/maildir/pending.js';
import { nameFromFields } from '../../src/outputs/name-fields.js';
import { Crash, faultyFs } from '../helpers/faulty-fs.js';
import { deliver, type Message, makeMaildir, nameKey, sha1, snapshot } from '../helpers/maildir.js';
import {
  expectListing,
  folderListing,
  inTempDir,
  listDir,
  logRecords,
  mail,
  mountTmpfs,
  type RoutedMailbox,
  syncmail,
  told,
  writeRoutingConfig,
} from '../helpers/routing.js';
import { type Sshd, withSshd } from '../helpers/sshd.js';

const CLI = path.resolve('dist/cli.js');

const tests = suite<{ sshd: Sshd }>('routing rules end to end', {} as { sshd: Sshd });
withSshd(tests, [CLI]);

// ---------------------------------------------------------------------------------------------------------
// Shared pieces

let serial = 0;
/** A fresh Maildir-style unique name. */
function uname(tag: string): string {
  serial += 1;
  return `17000${String(serial).padStart(5, '0')}.M${serial}P4242Q${serial}.${tag}.mx.test`;
}

type Mail = Message & { raw: Buffer };

/** A message with these headers (Message-ID and Date added), a blank line and a small body. */
function message(tag: string, headers: readonly string[], body?: string, eol = '\n'): Mail {
  const name = uname(tag);
  return mail(
    name,
    [`Message-ID: <${name}@mx.test>`, 'Date: Tue, 14 Nov 2023 22:13:20 +0000', ...headers],
    body ?? `Body of ${tag}.\n`,
    eol,
  );
}

/** A message of exactly this text. */
function exactly(tag: string, text: string): Mail {
  const content = Buffer.from(text);
  const name = uname(tag);
  return { name, raw: Buffer.from(name), content, sha1: sha1(content) };
}

const MTIME = new Date('2024-03-01T10:00:00Z');

async function onServer(server: string, messages: readonly Mail[]): Promise<void> {
  for (const m of messages) await deliver(server, m.raw, m.content, { mtime: MTIME });
}

/** A server Maildir and the case's local Maildir path (not created). */
async function maildirs(dir: string): Promise<{ server: string; local: string }> {
  return {
    server: await makeMaildir(path.join(dir, 'server', 'inbox')),
    local: path.join(dir, 'local', 'inbox'),
  };
}

function box(server: string, local: string, extra: Partial<RoutedMailbox> = {}): RoutedMailbox {
  return { name: 'inbox', server, local, ...extra };
}

/** Checks a folder is a Maildir as syncmail makes them: cur/ new/ tmp/ 0700, tmp/ empty. */
function assertFolder(dir: string, plusPlus: boolean): void {
  const mode = (p: string) => statSync(p).mode & 0o777;
  assert.is(mode(dir), 0o700, `${dir} is 0700`);
  for (const sub of ['cur', 'new', 'tmp']) {
    const at = path.join(dir, sub);
    assert.ok(lstatSync(at).isDirectory(), `${at} is a directory`);
    assert.is(mode(at), 0o700, `${at} is 0700`);
  }
  assert.equal(listDir(path.join(dir, 'tmp')), [], `${dir}/tmp is empty`);
  const marker = path.join(dir, 'maildirfolder');
  if (plusPlus) {
    assert.ok(lstatSync(marker).isFile(), `${marker} is there`);
    assert.is(statSync(marker).size, 0, `${marker} is empty`);
  } else assert.not.ok(existsSync(marker), `no ${marker} in a plain folder`);
}

/** The delivered records of the log, by file (the raw name's nameKey), with the routing fields. */
function deliveredByFile(dir: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const r of logRecords(dir)) {
    if (r['event'] !== 'delivered') continue;
    const name = nameKey(nameFromFields(r as { file: string; file_b64?: string }));
    assert.not.ok(out.has(name), `${name} delivered once in the log`);
    out.set(name, r);
  }
  return out;
}

/** What a delivered record says about routing (absent fields left out). */
function routing(r: Record<string, unknown> | undefined): Record<string, unknown> {
  if (r === undefined) return { missing: true };
  const out: Record<string, unknown> = {};
  for (const key of ['folder', 'rule', 'copies', 'flags', 'size'])
    if (r[key] !== undefined) out[key] = r[key];
  return out;
}

function inode(file: string): number {
  return statSync(file).ino;
}

// ---------------------------------------------------------------------------------------------------------
// 1. Every kind of rule, over ssh

tests(
  '1. rules pick folders by List-Id, From, To/Cc, Subject (RFC 2047), X-headers and size; copies are hard links; trash, seen, flag and continue; the log says where each went',
  async ({ sshd }) => {
    await inTempDir('route-all', async (dir) => {
      const { server, local } = await maildirs(dir);
      const lkml = message('lkml', [
        'From: Dev <dev@example.org>',
        'List-Id: Linux Kernel Mailing List <linux-kernel.vger.kernel.org>',
        'Subject: [PATCH] fix a thing',
      ]);
      // Folded, upper case, CRLF line ends.
      const lkmlFolded = message(
        'lkmlfold',
        [
          'From: dev@example.org',
          'List-Id: the kernel',
          ' <LINUX-KERNEL.vger.kernel.org>',
          'Subject: x',
        ],
        'crlf body\r\n',
        '\r\n',
      );
      const nagios = message('nagios', [
        'From: Nagios <nagios@alerts.monitoring.example.com>',
        'Subject: PROBLEM: disk full on db1',
      ]);
      // From matches, Subject does not: not trash.
      const nagiosReport = message('report', [
        'From: nagios@monitoring.example.com',
        'Subject: Weekly PROBLEM report',
      ]);
      const invoiceTo = message('invto', [
        'From: shop@example.com',
        'To: Me <Billing@Me.Example>',
        'Subject: your invoice',
      ]);
      const invoiceHeader = message('invhdr', [
        'From: shop@example.com',
        'To: someone@example.net',
        'X-Invoice: 42',
        'Subject: receipt',
      ]);
      const spam = message('spam', ['From: x@spam.example', 'X-Spam-Flag: yes', 'Subject: win']);
      // Two encoded words (base64, then quoted-printable) on two folded lines: "Grüße aus Köln".
      const encoded = message('encoded', [
        'From: oma@example.de',
        'Subject: =?UTF-8?B?R3LDvMOfZSBhdXMg?=',
        ' =?UTF-8?Q?K=C3=B6ln?=',
      ]);
      const joerg = message('joerg', [
        'From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <jm@example.de>',
        'Subject: hallo',
      ]);
      const team = message('team', [
        'From: pm@example.com',
        'To: someone@example.net',
        'Cc: Team <dev@eu.team.example>',
        'Subject: standup',
      ]);
      const big = message('big', ['From: photos@example.com', 'Subject: pics'], 'x'.repeat(9000));
      const boss = message('boss', ['From: The Boss <boss@corp.example>', 'Subject: a word']);
      const urgent = message('urgent', ['From: ops@corp.example', 'Subject: urgent: db1 is down']);
      const urgentInvoice = message('urginv', [
        'From: shop@example.com',
        'To: billing@me.example',
        'Subject: urgent invoice',
      ]);
      const announce = message('announce', [
        'From: gregkh@example.org',
        'List-Id: <linux-kernel.vger.kernel.org>',
        'Subject: [ANNOUNCE] Linux 6.7',
      ]);
      const plain = message('plain', ['From: friend@example.net', 'Subject: lunch?']);
      const kept = message('kept', ['From: friend@example.net', 'X-Keep: 1', 'Subject: photos']);
      const fyi = message('fyi', ['From: friend@example.net', 'Subject: FYI: moved']);
      const fyiUnread = message('fyiunread', ['X-Unread: 1', 'Subject: fyi again']);
      const all = [
        lkml,
        lkmlFolded,
        nagios,
        nagiosReport,
        invoiceTo,
        invoiceHeader,
        spam,
        encoded,
        joerg,
        team,
        big,
        boss,
        urgent,
        urgentInvoice,
        announce,
        plain,
        kept,
        fyi,
        fyiUnread,
      ];
      await onServer(server, all);
      const config = writeRoutingConfig({
        sshd,
        dir,
        top: {
          rules: [
            {
              name: 'urgent',
              match: { subject: { regex: '\\burgent\\b' } },
              folder: 'urgent',
              flag: true,
              continue: true,
            },
            { name: 'lkml', match: { list: 'linux-kernel.vger.kernel.org' }, folder: 'lists.lkml' },
            {
              name: 'nagios',
              match: {
                from: '@monitoring.example.com',
                subject: { regex: '^(PROBLEM|RECOVERY)' },
              },
              trash: true,
            },
            {
              name: 'invoices',
              match: {
                any: [
                  { to: 'billing@me.example' },
                  { header: { name: 'X-Invoice', exists: true } },
                ],
              },
              folder: 'finance',
              seen: true,
              copy: 'archive',
            },
            { name: 'spam', match: { header: { name: 'x-spam-flag', is: 'YES' } }, folder: 'Junk' },
            {
              name: 'family',
              match: { subject: { contains: 'grüße aus köln' } },
              folder: 'family',
            },
            { name: 'joerg', match: { from: { contains: 'Jörg' } }, folder: 'friends/joerg' },
            {
              name: 'team',
              match: { to: '@team.example' },
              folder: 'team',
              copy: ['archive', 'INBOX'],
            },
            { name: 'big', match: { size: { over: '8K' } }, folder: 'big' },
            { name: 'boss', match: { from: 'boss@corp.example' }, flag: true, continue: true },
            { name: 'corp', match: { from: '@corp.example' }, folder: 'corp' },
            // No folder: INBOX, with a copy; or INBOX, read.
            { name: 'keep', match: { header: { name: 'X-Keep', exists: true } }, copy: 'archive' },
            {
              name: 'read',
              match: { not: { header: { name: 'X-Unread', exists: true } }, subject: 'fyi' },
              seen: true,
            },
          ],
        },
        mailboxes: [
          box(server, local, {
            // A mailbox's own rules are asked first.
            rules: [
              {
                name: 'announce',
                match: { subject: { matches: '[ANNOUNCE]*' } },
                flag: true,
                continue: true,
              },
            ],
          }),
        ],
      });
      const result = await syncmail(['--config', config]);
      assert.is(result.code, 0, told(result));
      assert.is(result.err, '', told(result));
      assert.match(result.out, /^inbox: 19 new \(.*\)\n$/, told(result));
      assert.ok(result.out.includes('lists.lkml 3'), told(result));

      const at = (folder: string) => path.join(local, folder);
      const expected: Record<string, Record<string, string>> = {
        '': expectListing([
          ['new', nagiosReport.raw, nagiosReport],
          ['new', team.raw, team],
          ['new', plain.raw, plain],
          ['new', kept.raw, kept],
          ['new', fyiUnread.raw, fyiUnread],
          ['cur', `${fyi.name}:2,S`, fyi],
        ]),
        '.lists.lkml': expectListing([
          ['new', lkml.raw, lkml],
          ['new', lkmlFolded.raw, lkmlFolded],
          ['cur', `${announce.name}:2,F`, announce],
        ]),
        '.Trash': expectListing([['cur', `${nagios.name}:2,S`, nagios]]),
        '.finance': expectListing([
          ['cur', `${invoiceTo.name}:2,S`, invoiceTo],
          ['cur', `${invoiceHeader.name}:2,S`, invoiceHeader],
          ['cur', `${urgentInvoice.name}:2,FS`, urgentInvoice],
        ]),
        '.archive': expectListing([
          ['new', team.raw, team],
          ['new', kept.raw, kept],
          ['cur', `${invoiceTo.name}:2,S`, invoiceTo],
          ['cur', `${invoiceHeader.name}:2,S`, invoiceHeader],
          ['cur', `${urgentInvoice.name}:2,FS`, urgentInvoice],
        ]),
        '.Junk': expectListing([['new', spam.raw, spam]]),
        '.family': expectListing([['new', encoded.raw, encoded]]),
        '.friends.joerg': expectListing([['new', joerg.raw, joerg]]),
        '.team': expectListing([['new', team.raw, team]]),
        '.big': expectListing([['new', big.raw, big]]),
        '.corp': expectListing([
          ['cur', `${boss.name}:2,F`, boss],
          ['cur', `${urgent.name}:2,F`, urgent],
        ]),
        '.urgent': expectListing([
          ['cur', `${urgent.name}:2,F`, urgent],
          ['cur', `${urgentInvoice.name}:2,FS`, urgentInvoice],
        ]),
      };
      const actual = () =>
        Object.fromEntries(Object.keys(expected).map((f) => [f, folderListing(at(f))]));
      assert.equal(actual(), expected);
      // The local Maildir holds its own cur/ new/ tmp/ and exactly these folders.
      assert.equal(
        listDir(local),
        [...Object.keys(expected).filter((f) => f !== ''), 'cur', 'new', 'tmp'].sort(),
      );
      for (const f of Object.keys(expected)) if (f !== '') assertFolder(at(f), true);
      assert.is(statSync(local).mode & 0o777, 0o700);

      // A copy is a hard link of the message: one inode, as many links as folders.
      const same = (files: string[]) => {
        const inodes = files.map(inode);
        assert.ok(
          inodes.every((i) => i === inodes[0]),
          `one inode for ${files.join(', ')}: ${inodes}`,
        );
        for (const file of files) assert.is(statSync(file).nlink, files.length, file);
      };
      same([
        path.join(at('.finance'), 'cur', `${invoiceTo.name}:2,S`),
        path.join(at('.archive'), 'cur', `${invoiceTo.name}:2,S`),
      ]);
      same([
        path.join(at('.team'), 'new', team.name),
        path.join(at('.archive'), 'new', team.name),
        path.join(local, 'new', team.name),
      ]);
      same([
        path.join(at('.urgent'), 'cur', `${urgentInvoice.name}:2,FS`),
        path.join(at('.finance'), 'cur', `${urgentInvoice.name}:2,FS`),
        path.join(at('.archive'), 'cur', `${urgentInvoice.name}:2,FS`),
      ]);
      same([path.join(local, 'new', kept.name), path.join(at('.archive'), 'new', kept.name)]);
      same([
        path.join(at('.urgent'), 'cur', `${urgent.name}:2,F`),
        path.join(at('.corp'), 'cur', `${urgent.name}:2,F`),
      ]);
      // Everything moved keeps its server mtime.
      assert.is(statSync(path.join(at('.Trash'), 'cur', `${nagios.name}:2,S`)).mtimeMs, +MTIME);

      // The server's new/ is empty, and nothing went into its cur/.
      assert.equal(listDir(path.join(server, 'new')), []);
      assert.equal(listDir(path.join(server, 'cur')), []);

      const log = deliveredByFile(dir);
      const size = (m: Mail) => ({ size: m.content.length });
      const want: [Mail, Record<string, unknown>][] = [
        [lkml, { folder: 'lists.lkml', rule: 'lkml' }],
        [lkmlFolded, { folder: 'lists.lkml', rule: 'lkml' }],
        [nagios, { folder: 'Trash', rule: 'nagios', flags: 'S' }],
        [nagiosReport, { folder: 'INBOX' }],
        [invoiceTo, { folder: 'finance', rule: 'invoices', copies: ['archive'], flags: 'S' }],
        [invoiceHeader, { folder: 'finance', rule: 'invoices', copies: ['archive'], flags: 'S' }],
        [spam, { folder: 'Junk', rule: 'spam' }],
        [encoded, { folder: 'family', rule: 'family' }],
        [joerg, { folder: 'friends/joerg', rule: 'joerg' }],
        [team, { folder: 'team', rule: 'team', copies: ['archive', 'INBOX'] }],
        [big, { folder: 'big', rule: 'big' }],
        [boss, { folder: 'corp', rule: 'corp', flags: 'F' }],
        [urgent, { folder: 'urgent', rule: 'urgent', copies: ['corp'], flags: 'F' }],
        [
          urgentInvoice,
          { folder: 'urgent', rule: 'urgent', copies: ['finance', 'archive'], flags: 'FS' },
        ],
        [announce, { folder: 'lists.lkml', rule: 'lkml', flags: 'F' }],
        [plain, { folder: 'INBOX' }],
        [kept, { folder: 'INBOX', copies: ['archive'] }],
        [fyi, { folder: 'INBOX', flags: 'S' }],
        [fyiUnread, { folder: 'INBOX' }],
      ];
      assert.equal(
        Object.fromEntries(all.map((m) => [m.name, routing(log.get(m.name))])),
        Object.fromEntries(want.map(([m, r]) => [m.name, { ...r, ...size(m) }])),
      );
      assert.is(log.size, all.length);

      // A second run finds nothing new and changes nothing.
      const again = await syncmail(['--config', config]);
      assert.is(again.code, 0, told(again));
      assert.is(again.out, 'inbox: no new mail\n', told(again));
      assert.equal(actual(), expected);
    });
  },
);

// ---------------------------------------------------------------------------------------------------------
// 2. folderStyle plain, folders elsewhere

tests(
  '2. folderStyle plain: nested folder names are nested directories under a folders: directory elsewhere on the same filesystem, without maildirfolder',
  async ({ sshd }) => {
    await inTempDir('route-plain', async (dir) => {
      const { server, local } = await maildirs(dir);
      const folders = path.join(dir, 'mail', 'folders');
      const lkml = message('lkml', ['List-Id: <linux-kernel.vger.kernel.org>', 'Subject: a']);
      const netdev = message('netdev', ['List-Id: <netdev.vger.kernel.org>', 'Subject: b']);
      const junk = message('junk', ['X-Spam-Flag: YES', 'Subject: c']);
      const other = message('other', ['Subject: d']);
      await onServer(server, [lkml, netdev, junk, other]);
      const config = writeRoutingConfig({
        sshd,
        dir,
        top: {
          folderStyle: 'plain',
          folders,
          trashFolder: 'Deleted/Items',
          rules: [
            { name: 'lkml', match: { list: 'linux-kernel.vger.kernel.org' }, folder: 'lists/lkml' },
            {
              name: 'netdev',
              match: { list: { matches: 'netdev.*' } },
              folder: 'lists/netdev',
              seen: true,
              copy: 'archive/2024',
            },
            { name: 'junk', match: { header: { name: 'X-Spam-Flag', is: 'yes' } }, trash: true },
          ],
        },
        mailboxes: [box(server, local)],
      });
      const result = await syncmail(['--config', config, '--verbose']);
      assert.is(result.code, 0, told(result));
      // -v says where each one went.
      for (const line of [
        `inbox: + ${lkml.name} → lists/lkml (rule lkml)`,
        `inbox: + ${netdev.name} → lists/netdev (rule netdev), copy in archive/2024`,
        `inbox: + ${junk.name} → Deleted/Items (rule junk)`,
        `inbox: + ${other.name} → INBOX`,
      ])
        assert.ok(result.out.split('\n').includes(line), `${line}\n${told(result)}`);
      assert.match(
        result.out,
        /^inbox: 4 new \((?=.*lists\/lkml 1)(?=.*INBOX 1).*\)$/m,
        told(result),
      );
      const f = (name: string) => path.join(folders, ...name.split('/'));
      assert.equal(
        {
          INBOX: folderListing(local),
          'lists/lkml': folderListing(f('lists/lkml')),
          'lists/netdev': folderListing(f('lists/netdev')),
          'archive/2024': folderListing(f('archive/2024')),
          'Deleted/Items': folderListing(f('Deleted/Items')),
        },
        {
          INBOX: expectListing([['new', other.raw, other]]),
          'lists/lkml': expectListing([['new', lkml.raw, lkml]]),
          'lists/netdev': expectListing([['cur', `${netdev.name}:2,S`, netdev]]),
          'archive/2024': expectListing([['cur', `${netdev.name}:2,S`, netdev]]),
          'Deleted/Items': expectListing([['cur', `${junk.name}:2,S`, junk]]),
        },
      );
      assert.is(
        inode(path.join(f('lists/netdev'), 'cur', `${netdev.name}:2,S`)),
        inode(path.join(f('archive/2024'), 'cur', `${netdev.name}:2,S`)),
        'the copy is a hard link',
      );
      // The tree under folders: exactly the folders' levels; the levels in between are no Maildirs.
      assert.equal(listDir(folders), ['Deleted', 'archive', 'lists']);
      assert.equal(listDir(f('lists')), ['lkml', 'netdev']);
      assert.equal(listDir(f('archive')), ['2024']);
      assert.equal(listDir(f('Deleted')), ['Items']);
      for (const name of ['lists/lkml', 'lists/netdev', 'archive/2024', 'Deleted/Items'])
        assertFolder(f(name), false);
      for (const level of [folders, f('lists'), f('archive'), f('Deleted')])
        assert.is(statSync(level).mode & 0o777, 0o700, `${level} is 0700`);
      // Nothing of the folders in the mailbox's own Maildir.
      assert.equal(listDir(local), ['cur', 'new', 'tmp']);
      assert.not.ok(existsSync(path.join(local, 'maildirfolder')));
      assert.equal(listDir(path.join(server, 'new')), []);
      const log = deliveredByFile(dir);
      assert.equal(routing(log.get(netdev.name)), {
        folder: 'lists/netdev',
        rule: 'netdev',
        copies: ['archive/2024'],
        flags: 'S',
        size: netdev.content.length,
      });
      assert.equal(routing(log.get(junk.name)), {
        folder: 'Deleted/Items',
        rule: 'junk',
        flags: 'S',
        size: junk.content.length,
      });
    });
  },
);

// ---------------------------------------------------------------------------------------------------------
// 3. Leftovers in folders

/** Puts `m` into a local folder the way a reader leaves it: read, in cur/ as NAME:2,S. */
async function leftover(maildir: string, m: Mail): Promise<string> {
  await makeMaildir(maildir);
  const file = path.join(maildir, 'cur', `${m.name}:2,S`);
  await writeFile(file, m.content);
  return file;
}

const LKML_RULE = {
  name: 'lkml',
  match: { list: 'linux-kernel.vger.kernel.org' },
  folder: 'lists.lkml',
};
const INVOICE_RULE = {
  name: 'invoices',
  match: { header: { name: 'X-Invoice', exists: true } },
  folder: 'finance',
  seen: true,
  copy: 'archive',
};

tests(
  '3a. a leftover with the same bytes in a folder (moved to cur/ by the reader) is recognised: in the chosen folder, and in a folder of another rule that no longer chooses it; not delivered again, the server copy removed',
  async ({ sshd }) => {
    await inTempDir('route-leftover', async (dir) => {
      const { server, local } = await maildirs(dir);
      const lkml = message('lkml', ['List-Id: <linux-kernel.vger.kernel.org>', 'Subject: a']);
      const invoice = message('invoice', ['X-Invoice: 7', 'Subject: b']);
      const moved = message('moved', ['List-Id: <linux-kernel.vger.kernel.org>', 'Subject: c']);
      const fresh = message('fresh', ['List-Id: <linux-kernel.vger.kernel.org>', 'Subject: d']);
      await onServer(server, [lkml, invoice, moved, fresh]);
      await makeMaildir(local);
      const left = {
        lkml: await leftover(path.join(local, '.lists.lkml'), lkml),
        invoice: await leftover(path.join(local, '.finance'), invoice),
        // It was archived when the rules sent lkml mail there too.
        moved: await leftover(path.join(local, '.archive'), moved),
      };
      const config = writeRoutingConfig({
        sshd,
        dir,
        top: { rules: [LKML_RULE, INVOICE_RULE] },
        mailboxes: [box(server, local)],
      });
      const result = await syncmail(['--config', config]);
      assert.is(result.code, 0, told(result));
      assert.is(result.out, 'inbox: 1 new (lists.lkml 1)\n', told(result));
      assert.equal(
        {
          INBOX: folderListing(local),
          'lists.lkml': folderListing(path.join(local, '.lists.lkml')),
          finance: folderListing(path.join(local, '.finance')),
          archive: folderListing(path.join(local, '.archive')),
        },
        {
          INBOX: {},
          'lists.lkml': expectListing([
            ['new', fresh.raw, fresh],
            ['cur', `${lkml.name}:2,S`, lkml],
          ]),
          finance: expectListing([['cur', `${invoice.name}:2,S`, invoice]]),
          archive: expectListing([['cur', `${moved.name}:2,S`, moved]]),
        },
      );
      assert.equal(listDir(path.join(server, 'new')), []);
      const exists = logRecords(dir).filter((r) => r['event'] === 'exists');
      assert.equal(Object.fromEntries(exists.map((r) => [r['file'], r['local']])), {
        [lkml.name]: left.lkml,
        [invoice.name]: left.invoice,
        [moved.name]: left.moved,
      });
      assert.equal([...deliveredByFile(dir).keys()], [fresh.name]);
    });
  },
);

tests(
  '3c. a unique name taken in a copy folder by other bytes: a conflict left on the server (keep), or delivered everywhere under a fresh name (rename); taken only at link time: delivered, the copy not made, exit 65',
  async ({ sshd }) => {
    await inTempDir('route-copy-conflict', async (dir) => {
      const { server, local } = await maildirs(dir);
      const invoice = message('invoice', ['X-Invoice: 9', 'Subject: taken']);
      await onServer(server, [invoice]);
      await makeMaildir(local);
      const archive = await makeMaildir(path.join(local, '.archive'));
      const other = path.join(archive, 'cur', `${invoice.name}:2,S`);
      const otherText = 'another message under the same name\n';
      await writeFile(other, otherText);
      const write = (onConflict: string) =>
        writeRoutingConfig({
          sshd,
          dir,
          top: { rules: [INVOICE_RULE], onConflict },
          mailboxes: [box(server, local)],
        });
      const kept = await syncmail(['--config', write('keep')]);
      assert.is(kept.code, 65, told(kept));
      assert.equal(listDir(path.join(server, 'new')), [invoice.name], 'left on the server');
      assert.equal(folderListing(path.join(local, '.finance')), {});

      const renamed = await syncmail(['--config', write('rename')]);
      assert.is(renamed.code, 0, told(renamed));
      const finance = Object.keys(folderListing(path.join(local, '.finance')));
      assert.is(finance.length, 1, told(renamed));
      const fresh = (finance[0] as string).slice('cur/'.length);
      assert.match(fresh, new RegExp(`^${invoice.name.replaceAll('.', '\\.')}\\.syncmail-.*:2,S$`));
      assert.equal(
        Object.keys(folderListing(archive)).sort(),
        [`cur/${invoice.name}:2,S`, `cur/${fresh}`].sort(),
      );
      assert.is(readFileSync(other, 'utf8'), otherText);
      assert.equal(listDir(path.join(server, 'new')), []);

      // Another writer takes the copy's name between syncmail's check and its link().
      const late = message('late', ['X-Invoice: 10', 'Subject: raced']);
      await onServer(server, [late]);
      const racedAt = path.join(archive, 'cur', `${late.name}:2,S`);
      const racing: MaildirFs = {
        ...realFs,
        link: (from, to) => {
          if (Buffer.from(to).toString() === racedAt) writeFileSync(racedAt, otherText);
          realFs.link(from, to);
        },
      };
      const raced = await syncmail(['--config', write('keep')], racing);
      assert.is(raced.code, 65, told(raced));
      assert.match(raced.err, 'delivered, but its copy was not made', told(raced));
      assert.equal(
        folderListing(path.join(local, '.finance'))[`cur/${late.name}:2,S`],
        late.sha1,
        'delivered all the same',
      );
      assert.is(readFileSync(racedAt, 'utf8'), otherText);
      assert.equal(listDir(path.join(server, 'new')), [], 'the server copy is removed');
      const conflicts = logRecords(dir).filter((r) => r['event'] === 'copy-conflict');
      assert.equal(
        conflicts.map((r) => [r['file'], r['local']]),
        [[late.name, racedAt]],
      );
      assert.is(raced.out, 'inbox: 1 new (finance 1), then failed (see above)\n', told(raced));
    });
  },
);

tests(
  '3b. the rules change between a delivery and the removal of its server copy: the message stays in the folder it went to (read there by now), and is not delivered into the new one',
  async ({ sshd }) => {
    await inTempDir('route-changed', async (dir) => {
      const { server, local } = await maildirs(dir);
      const mails = [1, 2, 3].map((i) =>
        message(`old${i}`, ['List-Id: <linux-kernel.vger.kernel.org>', `Subject: ${i}`]),
      );
      await onServer(server, mails);
      const rules = (folder: string) => [{ ...LKML_RULE, folder }];
      const write = (folder: string) =>
        writeRoutingConfig({
          sshd,
          dir,
          top: { rules: rules(folder) },
          mailboxes: [box(server, local)],
        });
      // Run 1 delivers into old.lists and is cut short at the flush, before the remove pass.
      const broken = faultyFs(realFs, { op: 'syncfs', nth: 1, effect: 'crash' });
      const first = await syncmail(['--config', write('old.lists')], broken.fs);
      assert.ok(broken.hit(), told(first));
      assert.is(first.code, 70, told(first));
      const old = path.join(local, '.old.lists');
      assert.equal(folderListing(old), expectListing(mails.map((m) => ['new', m.raw, m] as const)));
      assert.is(listDir(path.join(server, 'new')).length, 3, 'the server still has them');
      // The reader reads them there; then the rules send lkml mail elsewhere, and old.lists is gone
      // from the rules.
      for (const m of mails) {
        await rename(path.join(old, 'new', m.name), path.join(old, 'cur', `${m.name}:2,S`));
      }
      const second = await syncmail(['--config', write('lists.lkml')]);
      assert.is(second.code, 0, told(second));
      assert.is(second.out, 'inbox: no new mail\n', told(second));
      assert.equal(
        {
          old: folderListing(old),
          new: folderListing(path.join(local, '.lists.lkml')),
          INBOX: folderListing(local),
        },
        {
          old: expectListing(mails.map((m) => ['cur', `${m.name}:2,S`, m] as const)),
          new: {},
          INBOX: {},
        },
      );
      assert.equal(listDir(path.join(server, 'new')), [], 'the server copies are removed');
    });
  },
);

/** The live entries of the case's one journal (state/pending/*.journal), keyed by name. */
function journalOf(dir: string): Map<string, Pending> {
  const pending = path.join(dir, 'state', 'pending');
  const files = readdirSync(pending).filter((f) => f.endsWith('.journal'));
  assert.is(files.length, 1, `one journal in ${pending}`);
  return foldJournal(readFileSync(path.join(pending, files[0] as string), 'latin1'));
}

tests(
  '4. a run cut short between its journaled intents and their renames, then the rules change: each message ends in the folder its intent named, none in two folders, new mail follows the new rules',
  async ({ sshd }) => {
    await inTempDir('route-crash', async (dir) => {
      const { server, local } = await maildirs(dir);
      const alpha = [1, 2, 3].map((i) =>
        message(`alpha${i}`, ['List-Id: Alpha <alpha.example.org>', `Subject: a${i}`]),
      );
      const beta = [1, 2, 3].map((i) =>
        message(`beta${i}`, ['List-Id: Beta <beta.example.org>', `Subject: b${i}`]),
      );
      await onServer(server, [...alpha, ...beta]);
      const write = (rules: unknown[]) =>
        writeRoutingConfig({ sshd, dir, top: { rules }, mailboxes: [box(server, local)] });
      const v1 = write([
        { name: 'alpha', match: { list: 'alpha.example.org' }, folder: 'alpha', copy: 'keep' },
        { name: 'beta', match: { list: 'beta.example.org' }, folder: 'beta', copy: 'keep' },
      ]);
      // The whole batch is journaled before the first rename; the third rename never happens, after
      // its message's copy was linked into keep.
      const broken = faultyFs(realFs, { op: 'rename', nth: 3, effect: 'crash' });
      const first = await syncmail(['--config', v1], broken.fs);
      assert.ok(broken.hit(), told(first));
      assert.is(first.code, 70, told(first));
      assert.ok(first.err.includes(new Crash('rename', 3).message), told(first));

      const v1Folder = (m: Mail) => (alpha.includes(m) ? 'alpha' : 'beta');
      const journal = journalOf(dir);
      assert.equal([...journal.keys()].sort(), [...alpha, ...beta].map((m) => m.name).sort());
      const visible = [...alpha, ...beta].filter((m) => journal.get(m.name)?.visible);
      assert.is(visible.length, 2, 'two renames done');
      for (const m of [...alpha, ...beta]) {
        const p = journal.get(m.name);
        if (p?.visible) continue;
        // Each intent names its folders: the rule's, and the copy's.
        assert.equal(
          p?.dest?.targets.map((t) => t.folder),
          [v1Folder(m), 'keep'],
          m.name,
        );
        assert.is(p?.dest?.rule, v1Folder(m));
      }
      const inFolder = (f: string) => path.join(local, `.${f}`);
      for (const m of visible) {
        assert.equal(
          folderListing(inFolder(v1Folder(m)))[`new/${m.name}`],
          m.sha1,
          `${m.name} delivered before the crash`,
        );
      }
      const count = (f: string) => Object.keys(folderListing(inFolder(f))).length;
      assert.is(count('alpha') + count('beta'), 2, 'nothing else renamed');
      // keep has the two delivered ones and the copy of the one whose rename crashed.
      assert.is(count('keep'), 3);

      // Now every list goes to gamma, read; and a message arrives that only the new rules see.
      const late = message('late', ['List-Id: Alpha <alpha.example.org>', 'Subject: late']);
      await onServer(server, [late]);
      const v2 = write([
        {
          name: 'gamma',
          match: { header: { name: 'List-Id', exists: true } },
          folder: 'gamma',
          seen: true,
        },
      ]);
      const second = await syncmail(['--config', v2]);
      assert.is(second.code, 0, told(second));
      assert.equal(
        Object.fromEntries(
          ['', '.alpha', '.beta', '.keep', '.gamma'].map((f) => [
            f,
            folderListing(path.join(local, f)),
          ]),
        ),
        {
          '': {},
          '.alpha': expectListing(alpha.map((m) => ['new', m.raw, m] as const)),
          '.beta': expectListing(beta.map((m) => ['new', m.raw, m] as const)),
          '.keep': expectListing([...alpha, ...beta].map((m) => ['new', m.raw, m] as const)),
          '.gamma': expectListing([['cur', `${late.name}:2,S`, late]]),
        },
      );
      // Nothing else: no other folder, nothing left in the stage.
      assert.equal(listDir(local), ['.alpha', '.beta', '.gamma', '.keep', 'cur', 'new', 'tmp']);
      for (const m of [...alpha, ...beta])
        assert.is(
          inode(path.join(inFolder(v1Folder(m)), 'new', m.name)),
          inode(path.join(inFolder('keep'), 'new', m.name)),
          `${m.name}: the copy is a link of the message`,
        );
      assert.equal(listDir(path.join(server, 'new')), []);
      // Each message delivered once in the log (over both runs), where its intent said.
      const log = deliveredByFile(dir);
      assert.equal(
        Object.fromEntries([...log].map(([name, r]) => [name, r['folder']])),
        Object.fromEntries([
          ...[...alpha, ...beta].map((m) => [m.name, v1Folder(m)]),
          [late.name, 'gamma'],
        ]),
      );
      const stageLeft = execa('find', [path.join(local, 'tmp'), '-type', 'f']);
      assert.is(String((await stageLeft).stdout), '', 'nothing left in tmp/');
    });
  },
);

tests(
  '4b. a run cut short after a copy was linked and before its message was renamed, the reader reads the copy (new/ to cur/): the next run finishes the delivery without a second copy in that folder',
  async ({ sshd }) => {
    await inTempDir('route-copyread', async (dir) => {
      const { server, local } = await maildirs(dir);
      const m = message('copyread', ['List-Id: Alpha <alpha.example.org>', 'Subject: a']);
      await onServer(server, [m]);
      const config = writeRoutingConfig({
        sshd,
        dir,
        top: {
          rules: [
            { name: 'alpha', match: { list: 'alpha.example.org' }, folder: 'alpha', copy: 'keep' },
          ],
        },
        mailboxes: [box(server, local)],
      });
      const broken = faultyFs(realFs, { op: 'rename', nth: 1, effect: 'crash' });
      const first = await syncmail(['--config', config], broken.fs);
      assert.is(first.code, 70, told(first));
      const keep = path.join(local, '.keep');
      assert.equal(folderListing(keep), expectListing([['new', m.raw, m]]), 'the copy is linked');
      assert.equal(folderListing(path.join(local, '.alpha')), {}, 'the message is not renamed');
      await rename(path.join(keep, 'new', m.name), path.join(keep, 'cur', `${m.name}:2,S`));
      const second = await syncmail(['--config', config]);
      assert.is(second.code, 0, told(second));
      assert.equal(
        { alpha: folderListing(path.join(local, '.alpha')), keep: folderListing(keep) },
        {
          alpha: expectListing([['new', m.raw, m]]),
          keep: expectListing([['cur', `${m.name}:2,S`, m]]),
        },
      );
      assert.equal(listDir(path.join(server, 'new')), []);
    });
  },
);

tests(
  '4c. a run cut short after its intent named a folder, then the rules change and that folder is removed: the next run makes it again and finishes the delivery there',
  async ({ sshd }) => {
    await inTempDir('route-gone', async (dir) => {
      const { server, local } = await maildirs(dir);
      const m = message('gone', ['List-Id: Alpha <alpha.example.org>', 'Subject: a']);
      await onServer(server, [m]);
      const write = (folder: string) =>
        writeRoutingConfig({
          sshd,
          dir,
          top: { rules: [{ name: folder, match: { list: 'alpha.example.org' }, folder }] },
          mailboxes: [box(server, local)],
        });
      const broken = faultyFs(realFs, { op: 'rename', nth: 1, effect: 'crash' });
      const first = await syncmail(['--config', write('alpha')], broken.fs);
      assert.is(first.code, 70, told(first));
      // The person sends that list elsewhere now, and removes the (empty) old folder.
      await rm(path.join(local, '.alpha'), { recursive: true });
      const second = await syncmail(['--config', write('gamma')]);
      assert.is(second.code, 0, told(second));
      assert.equal(
        {
          alpha: folderListing(path.join(local, '.alpha')),
          gamma: folderListing(path.join(local, '.gamma')),
        },
        { alpha: expectListing([['new', m.raw, m]]), gamma: {} },
      );
      assertFolder(path.join(local, '.alpha'), true);
      assert.equal(listDir(path.join(server, 'new')), []);
    });
  },
);

// ---------------------------------------------------------------------------------------------------------
// 5. A bad rule config

/** The built CLI as a real process (its exit status is the point), bounded at 30 s. */
async function cli(config: string, ...args: string[]) {
  const r = await execa(process.execPath, [CLI, '--config', config, ...args], {
    reject: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1' },
    timeout: 30_000,
  });
  return { code: r.exitCode ?? -1, out: String(r.stdout), err: String(r.stderr) };
}

tests(
  '5. a bad rule (a regex that does not compile, an unknown key, a folder name like "../x") is refused with 78 and its key path, before anything is moved or created',
  async ({ sshd }) => {
    await inTempDir('route-badconfig', async (dir) => {
      const { server, local } = await maildirs(dir);
      await onServer(server, [message('waiting', ['List-Id: <l.example.org>', 'Subject: x'])]);
      const before = await snapshot(server);
      const good = { name: 'ok', match: { list: 'l.example.org' }, folder: 'lists' };
      const cases: [string, Record<string, unknown>, Partial<RoutedMailbox>, string][] = [
        [
          'a bad regex',
          { rules: [{ name: 'r', match: { subject: { regex: '(unclosed' } }, folder: 'x' }] },
          {},
          'rules[0].match.subject.regex: "(unclosed" is not a valid regular expression',
        ],
        [
          'an unknown key in a mailbox rule',
          { rules: [good] },
          { rules: [{ match: { list: 'l.example.org' }, folderr: 'x' }] },
          'mailboxes[0].rules[0].folderr: unknown key; did you mean "folder"?',
        ],
        [
          'a folder outside the folders directory',
          { rules: [good, { match: { from: '@example.com' }, folder: '../x' }] },
          {},
          'rules[1].folder: "../x" is not a folder name',
        ],
        [
          'a copy to an absolute path',
          { rules: [{ ...good, copy: ['archive', '/tmp/x'] }] },
          {},
          'rules[0].copy[1]: "/tmp/x" is not a folder name',
        ],
        [
          'a trash folder outside the folders directory',
          { rules: [{ match: { from: '@example.com' }, trash: true }], trashFolder: 'a/../../b' },
          {},
          'trashFolder: "a/../../b" is not a folder name',
        ],
      ];
      const problems: string[] = [];
      for (const [what, top, mailbox, expected] of cases) {
        const config = writeRoutingConfig({
          sshd,
          dir,
          top: { ...top, folders: path.join(dir, 'folders') },
          mailboxes: [box(server, local, mailbox)],
        });
        const r = await cli(config);
        const shown = `${what}: exit ${r.code}\n${r.err}`;
        if (r.code !== 78) problems.push(`${what}: expected exit 78: ${shown}`);
        if (!r.err.includes(expected))
          problems.push(`${what}: stderr should say ${expected}: ${shown}`);
        if (r.out !== '') problems.push(`${what}: stdout should be empty: ${r.out}`);
        const made = listDir(dir).filter((n) => n !== 'server' && n !== 'syncmail.json');
        if (made.length > 0) problems.push(`${what}: created ${made.join(', ')} in ${dir}`);
        if (JSON.stringify([...(await snapshot(server))]) !== JSON.stringify([...before]))
          problems.push(`${what}: the server Maildir changed`);
      }
      assert.equal(problems, []);
    });
  },
);

// ---------------------------------------------------------------------------------------------------------
// 6. A folder on another filesystem

tests(
  '6. a folder on another filesystem (folders: on a tmpfs, a folder symlinked onto one, a plain folder under a mount point) is refused with 78 naming it: nothing moved, nothing created there',
  async ({ sshd }) => {
    await inTempDir('route-otherfs', async (dir) => {
      const { server, local } = await maildirs(dir);
      const m = message('stays', ['List-Id: <linux-kernel.vger.kernel.org>', 'Subject: x']);
      await onServer(server, [m]);
      const before = await snapshot(server);
      const other = path.join(dir, 'other');
      const unmount = await mountTmpfs(other);
      try {
        await mkdir(path.join(other, 'lkml'));
        await mkdir(local, { recursive: true });
        const linked = path.join(local, '.linked');
        symlinkSync(path.join(other, 'lkml'), linked);
        const cases: [string, Record<string, unknown>, string][] = [
          [
            'folders on the tmpfs',
            { folders: path.join(other, 'mail'), rules: [LKML_RULE] },
            path.join(other, 'mail', '.lists.lkml'),
          ],
          [
            'a Maildir++ folder that is a symlink onto the tmpfs',
            { rules: [{ ...LKML_RULE, folder: 'linked' }] },
            linked,
          ],
          [
            'a plain folder whose parent is the mount point',
            { folderStyle: 'plain', folders: dir, rules: [{ ...LKML_RULE, folder: 'other/x/y' }] },
            path.join(other, 'x', 'y'),
          ],
        ];
        for (const [what, top, folder] of cases) {
          const config = writeRoutingConfig({ sshd, dir, top, mailboxes: [box(server, local)] });
          const r = await syncmail(['--config', config]);
          const shown = `${what}: ${told(r)}`;
          assert.is(r.code, 78, shown);
          assert.ok(r.err.includes(`${folder} is on another filesystem`), shown);
          assert.ok(r.err.includes('nothing was moved'), shown);
          assert.equal(await snapshot(server), before, `${what}: the server is untouched`);
          // Nothing on the other filesystem but what the test made there.
          assert.equal(listDir(other), ['lkml'], what);
          assert.equal(listDir(path.join(other, 'lkml')), [], what);
          assert.equal(folderListing(local), {}, `${what}: nothing delivered`);
          assert.equal(
            listDir(local).filter((n) => n.startsWith('.') && n !== '.linked'),
            [],
            what,
          );
        }
      } finally {
        await unmount();
      }
    });
  },
);

// ---------------------------------------------------------------------------------------------------------
// 7. Header blocks: too large, never ended

tests(
  '7. a header block over 1 MiB goes to INBOX with an unrouted event; a message without a blank line (headers only, or no final newline) is routed by its headers; a message of body only is not routed by its body',
  async ({ sshd }) => {
    await inTempDir('route-headers', async (dir) => {
      const { server, local } = await maildirs(dir);
      const filler = Array.from({ length: 1100 }, (_, i) => `X-Filler-${i}: ${'f'.repeat(1000)}`);
      const huge = message('huge', [
        'List-Id: <linux-kernel.vger.kernel.org>',
        'Subject: huge',
        ...filler,
      ]);
      assert.ok(huge.content.indexOf('\n\n') > 1024 * 1024, 'the header block is over 1 MiB');
      const headersOnly = exactly(
        'headersonly',
        'From: nagios@monitoring.example.com\nSubject: PROBLEM: no body at all\n',
      );
      const unterminated = exactly(
        'unterminated',
        'Subject: x\nList-Id: <linux-kernel.vger.kernel.org>',
      );
      // An empty first line: no headers at all, whatever the body looks like.
      const bodyOnly = exactly(
        'bodyonly',
        '\nList-Id: <linux-kernel.vger.kernel.org>\nSubject: PROBLEM\n\nbody\n',
      );
      await onServer(server, [huge, headersOnly, unterminated, bodyOnly]);
      const config = writeRoutingConfig({
        sshd,
        dir,
        top: {
          rules: [
            LKML_RULE,
            {
              name: 'nagios',
              match: { from: '@monitoring.example.com', subject: { regex: '^PROBLEM' } },
              trash: true,
            },
          ],
        },
        mailboxes: [box(server, local)],
      });
      const result = await syncmail(['--config', config]);
      assert.is(result.code, 0, told(result));
      assert.ok(
        result.out.includes(
          `inbox: ${huge.name}: its header block is over 1 MiB, so no rule was asked; delivered to the mailbox's own Maildir\n`,
        ),
        told(result),
      );
      assert.equal(
        {
          INBOX: folderListing(local),
          'lists.lkml': folderListing(path.join(local, '.lists.lkml')),
          Trash: folderListing(path.join(local, '.Trash')),
        },
        {
          INBOX: expectListing([
            ['new', huge.raw, huge],
            ['new', bodyOnly.raw, bodyOnly],
          ]),
          'lists.lkml': expectListing([['new', unterminated.raw, unterminated]]),
          Trash: expectListing([['cur', `${headersOnly.name}:2,S`, headersOnly]]),
        },
      );
      const unrouted = logRecords(dir).filter((r) => r['event'] === 'unrouted');
      assert.equal(
        unrouted.map((r) => [r['file'], r['reason'], r['mailbox']]),
        [[huge.name, 'header-too-large', 'inbox']],
      );
      const log = deliveredByFile(dir);
      assert.equal(routing(log.get(huge.name)), { folder: 'INBOX', size: huge.content.length });
      assert.equal(routing(log.get(headersOnly.name)), {
        folder: 'Trash',
        rule: 'nagios',
        flags: 'S',
        size: headersOnly.content.length,
      });
      assert.equal(listDir(path.join(server, 'new')), []);
    });
  },
);

// ---------------------------------------------------------------------------------------------------------
// 8. --dry-run

tests(
  '8. --dry-run with rules moves nothing, creates nothing, and says each folder is chosen once the message is fetched',
  async ({ sshd }) => {
    await inTempDir('route-dryrun', async (dir) => {
      const { server, local } = await maildirs(dir);
      const mails = [
        message('dry1', ['List-Id: <linux-kernel.vger.kernel.org>', 'Subject: a']),
        message('dry2', ['X-Invoice: 1', 'Subject: b']),
        message('dry3', ['Subject: c']),
      ];
      await onServer(server, mails);
      const before = await snapshot(server);
      const config = writeRoutingConfig({
        sshd,
        dir,
        top: { folders: path.join(dir, 'folders'), rules: [LKML_RULE, INVOICE_RULE] },
        mailboxes: [box(server, local)],
      });
      const r = await syncmail(['--config', config, '--dry-run', '--verbose']);
      assert.is(r.code, 0, told(r));
      for (const m of mails)
        assert.ok(
          r.out.includes(
            `inbox: would move ${m.name} (its folder is chosen by the rules once it is fetched)\n`,
          ),
          told(r),
        );
      assert.match(r.out, /^inbox: 3 would move$/m, told(r));
      assert.not.match(r.out, /→/, told(r));
      assert.equal(await snapshot(server), before);
      assert.equal(
        listDir(dir),
        ['server', 'syncmail.json'],
        'no local Maildir, folder, state or log',
      );

      // With a local Maildir, and one of them already in a folder (read there): that one is already
      // here, and still no folder is created.
      const [first] = mails as [Mail];
      await makeMaildir(local);
      await leftover(path.join(dir, 'folders', '.lists.lkml'), first);
      const localBefore = await snapshot(local);
      const foldersBefore = await snapshot(path.join(dir, 'folders'));
      const again = await syncmail(['--config', config, '--dry-run', '--verbose']);
      assert.is(again.code, 0, told(again));
      assert.ok(again.out.includes(`inbox: already here ${first.name}\n`), told(again));
      assert.match(again.out, /^inbox: 2 would move$/m, told(again));
      assert.equal(await snapshot(local), localBefore, 'the local Maildir is unchanged');
      assert.equal(
        await snapshot(path.join(dir, 'folders')),
        foldersBefore,
        'no folder created (finance, archive), the one there unchanged',
      );
      assert.equal(await snapshot(server), before);
      assert.equal(listDir(dir), ['folders', 'local', 'server', 'syncmail.json']);
    });
  },
);

// ---------------------------------------------------------------------------------------------------------
// 9. Hostile names

tests(
  '9. hostile server file names (leading dash, spaces, a newline, shell characters, bytes that are not UTF-8) routed into folders arrive under the same bytes',
  async ({ sshd }) => {
    await inTempDir('route-hostile', async (dir) => {
      const { server, local } = await maildirs(dir);
      const names = [
        Buffer.from('-rf --delete.1700000001.mx'),
        Buffer.from('--rsh=touch pwned.1700000002.mx'),
        Buffer.from(' leading and trailing spaces '),
        Buffer.from('a\nnewline.1700000003.mx'),
        Buffer.from('$(touch pwned) `id` ; | & * ? [x] \\ \'"'),
        Buffer.concat([
          Buffer.from('latin1-'),
          Buffer.from([0xe9, 0xff, 0xfe, 0x80]),
          Buffer.from('.mx'),
        ]),
      ];
      const lists = names.map((n, i) =>
        mail(
          n,
          [`Message-ID: <h${i}@mx.test>`, 'List-Id: <linux-kernel.vger.kernel.org>'],
          `h${i}\n`,
        ),
      );
      // Read on arrival: in cur/ with ":2,S" after the same bytes.
      const readName = Buffer.concat([
        Buffer.from('-seen '),
        Buffer.from([0xff, 0x0a, 0xc3]),
        Buffer.from(' x'),
      ]);
      const read = mail(readName, ['X-Invoice: 9', 'Subject: bytes'], 'read\n');
      await onServer(server, [...lists, read]);
      const config = writeRoutingConfig({
        sshd,
        dir,
        top: { rules: [LKML_RULE, INVOICE_RULE] },
        mailboxes: [box(server, local)],
      });
      const result = await syncmail(['--config', config]);
      assert.is(result.code, 0, told(result));
      const seenName = Buffer.concat([readName, Buffer.from(':2,S')]);
      assert.equal(
        {
          INBOX: folderListing(local),
          'lists.lkml': folderListing(path.join(local, '.lists.lkml')),
          finance: folderListing(path.join(local, '.finance')),
          archive: folderListing(path.join(local, '.archive')),
        },
        {
          INBOX: {},
          'lists.lkml': expectListing(lists.map((m) => ['new', m.raw, m] as const)),
          finance: expectListing([['cur', seenName, read]]),
          archive: expectListing([['cur', seenName, read]]),
        },
      );
      // The exact bytes, read back as raw names.
      const raw = readdirSync(path.join(local, '.lists.lkml', 'new'), { encoding: 'buffer' });
      assert.equal(
        raw.map((n) => n.toString('hex')).sort(),
        names.map((n) => n.toString('hex')).sort(),
      );
      assert.equal(listDir(path.join(server, 'new')), []);
      // The log names each one losslessly, with its folder.
      const log = deliveredByFile(dir);
      assert.equal([...log.keys()].sort(), [...lists, read].map((m) => m.name).sort());
      assert.equal(routing(log.get(read.name)), {
        folder: 'finance',
        rule: 'invoices',
        copies: ['archive'],
        flags: 'S',
        size: read.content.length,
      });
      assert.not.ok(existsSync(path.join(process.cwd(), 'pwned')), 'no shell ran a name');
    });
  },
);

tests.run();
