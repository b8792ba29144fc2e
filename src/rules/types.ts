// Routing rules as the rest of syncmail sees them: validated when the config loads (config/rules.ts),
// evaluated by rules/route.ts on a message's headers (rules/headers.ts). Folder names come only from
// here, never from a message.

/** How a text is compared; always case-insensitive, on unfolded, RFC 2047-decoded values. */
export type TextTest =
  | { readonly is: string }
  | { readonly contains: string }
  /** A glob over the whole value: `*` any run, `?` one character, `\` escapes. */
  | { readonly matches: string }
  | { readonly regex: RegExp; readonly source: string };

export type Condition =
  /** The List-Id's identifier (what is inside its angle brackets). */
  | { readonly kind: 'list'; readonly test: TextTest }
  /**
   * From, or To and Cc. `address`: "@example.com" is any address at that domain (or a subdomain),
   * "a@b.example" exactly that address; otherwise `test` on the header's decoded text.
   */
  | { readonly kind: 'from' | 'to'; readonly address?: string; readonly test?: TextTest }
  | { readonly kind: 'subject'; readonly test: TextTest }
  | { readonly kind: 'header'; readonly name: string; readonly test: TextTest | 'exists' }
  | { readonly kind: 'size'; readonly over?: number; readonly under?: number }
  | { readonly kind: 'all' | 'any'; readonly of: readonly Condition[] }
  | { readonly kind: 'not'; readonly of: Condition };

/** Maildir flags a rule sets (the info part ":2,FLAGS"): S seen, F flagged. */
export type Flag = 'F' | 'S';

export interface Rule {
  readonly name: string;
  readonly match: Condition;
  /** A folder name from the config, or the trash folder for `trash: true`. */
  readonly folder?: string;
  readonly copy: readonly string[];
  readonly flags: readonly Flag[];
  /** Keep evaluating the rules after this one matched. */
  readonly continue: boolean;
}

/** The folder name that stands for the mailbox's own `local` Maildir. */
export const INBOX = 'INBOX';

/** Where one message goes, decided by its rules: never computed from a header's value. */
export interface Route {
  /** The rule that chose the folder (the first one naming a folder), or none. */
  readonly rule: string | undefined;
  /** Every rule that matched, in order. */
  readonly matched: readonly string[];
  /** The folder name (INBOX for the mailbox's own Maildir), then the folders that get a copy. */
  readonly folder: string;
  readonly copies: readonly string[];
  /** Sorted, as a Maildir info part wants them. */
  readonly flags: readonly Flag[];
  /** Why the rules were not asked (the header block could not be read whole): the mailbox's Maildir. */
  readonly unread?: 'header-too-large';
}

/** What rules look at in a message: its headers and its size. */
export interface MessageView {
  /** Every value of a header (name lower-cased), unfolded and decoded, in order; [] when absent. */
  values(name: string): readonly string[];
  /** The addresses of From, or of To and Cc, lower-cased. */
  addresses(kind: 'from' | 'to'): readonly string[];
  readonly size: number;
}
