// Prints what `syncmail check` found: one line per finding, its hint under it, and a closing line that
// says whether everything is in order and which exit code that makes. Pure.
import { checkExit, count, type Finding } from './finding.js';

const LABEL = { ok: 'ok', warn: 'warn', problem: 'PROBLEM' } as const;
const WIDTH = 9;

function indentRest(text: string, pad: string): string {
  return text.replace(/\n\s*/g, `\n${pad}  `);
}

export function formatFindings(findings: readonly Finding[]): string {
  const pad = ' '.repeat(WIDTH);
  const out = findings.map((f) => {
    const head = `${LABEL[f.level].padEnd(WIDTH)}${f.subject}: ${indentRest(f.text, pad)}\n`;
    return f.hint === undefined || f.level === 'ok' ? head : `${head}${pad}→ ${f.hint}\n`;
  });
  const problems = findings.filter((f) => f.level === 'problem').length;
  const warnings = findings.filter((f) => f.level === 'warn').length;
  const code = checkExit(findings);
  const noted = warnings > 0 ? ` (${count(warnings, 'warning')})` : '';
  out.push(
    problems === 0
      ? `\nall checks passed${noted}: syncmail can sync\n`
      : `\n${count(problems, 'problem')}${warnings > 0 ? `, ${count(warnings, 'warning')}` : ''}: exit ${code}\n`,
  );
  return out.join('');
}

/** --json: one object, the findings in order and the exit code. */
export function formatJson(findings: readonly Finding[]): string {
  return `${JSON.stringify({ exitCode: checkExit(findings), findings })}\n`;
}
