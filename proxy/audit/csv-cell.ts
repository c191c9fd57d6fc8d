/**
 * One CSV cell (RFC 4180), safe to open in a spreadsheet: quoted, and a cell that would start a formula
 * (= + - @, or a tab or carriage return before one) gets a leading apostrophe (OWASP's CSV injection
 * advice). Quotes alone do not stop Excel, LibreOffice or Sheets evaluating it, and statements, rules
 * and names in the evidence are text an agent chose.
 */
export function csvCell(value: unknown): string {
  const s = String(value ?? '');
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}
