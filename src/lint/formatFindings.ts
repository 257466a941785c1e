import type { LintReport } from './lintFiles.js';

/**
 * The report as text: one `file:line:column: level rule message` line per
 * finding with its fix below, the notes, and a count.
 * @example formatText(report) // 'views.sql:1:35: error RL001 view "v" selects ...\n  fix: ...\n1 error, 0 warnings\n'
 */
export function formatText(report: LintReport): string {
  const lines = report.findings.flatMap((f) => [`${f.file}:${f.line}:${f.column}: ${f.level} ${f.rule} ${f.message}`, `  fix: ${f.fix}`]);
  for (const note of report.notes) lines.push(`note: ${note}`);
  const errors = report.findings.filter((f) => f.level === 'error').length;
  const warnings = report.findings.length - errors;
  lines.push(`${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

const escapeData = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (s: string) => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');

/**
 * The report as GitHub Actions workflow commands: each finding an annotation
 * on its file and line, each note a `::notice`.
 * @example formatGithub(report) // '::error file=views.sql,line=1,col=35,title=RL001::view "v" selects ... Fix: ...\n'
 */
export function formatGithub(report: LintReport): string {
  const lines = report.findings.map(
    (f) =>
      `::${f.level} file=${escapeProperty(f.file)},line=${f.line},col=${f.column},title=${escapeProperty(f.rule)}::${escapeData(`${f.message.replace(/\.$/, '')}. Fix: ${f.fix}`)}`,
  );
  for (const note of report.notes) lines.push(`::notice::${escapeData(note)}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
