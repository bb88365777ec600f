/**
 * CSV as RFC 4180 has it: fields separated by commas, records by CRLF; a field holding a
 * comma, a quote or a line break is quoted, its quotes doubled. Written for the report
 * (run.ts), read for Adyen's reports (adyen-report.ts), which may end lines with LF alone.
 */

export class CsvError extends Error {
  override name = "CsvError";
}

export const csvField = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

export const csvLine = (fields: readonly string[]): string => fields.map(csvField).join(",");

/** Every record of `text`, each a list of fields; a final line break ends the last record, it does not start an empty one. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const endField = () => {
    record.push(field);
    field = "";
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
      i++;
      continue;
    }
    if (c === '"') {
      if (field !== "") throw new CsvError(`a quote inside an unquoted field, record ${records.length + 1}`);
      quoted = true;
    } else if (c === ",") endField();
    else if (c === "\n" || (c === "\r" && text[i + 1] === "\n")) {
      endRecord();
      if (c === "\r") i++;
    } else field += c;
    i++;
  }
  if (quoted) throw new CsvError(`an unterminated quoted field, record ${records.length + 1}`);
  if (field !== "" || record.length > 0) endRecord();
  return records;
}
