// The convention every guest script follows: `section NAME` prints a marker line, and the host
// splits the serial output into the named parts it asserts on.

export const SECTION_MARKER = "@@section";

/** busy-box sh function to put at the top of a guest script. */
export const SECTION_FUNCTION = `section() { echo "${SECTION_MARKER} $1"; }`;

/** Output of each section, by name (a repeated name keeps the last). */
export function parseSections(output: string): Record<string, string> {
  const sections: Record<string, string> = {};
  const marker = new RegExp(`^${SECTION_MARKER} (\\S+)$`);
  let current: string | null = null;
  for (const raw of output.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const m = marker.exec(line);
    if (m) {
      current = m[1]!;
      sections[current] = "";
    } else if (current !== null) {
      sections[current] += `${line}\n`;
    }
  }
  return sections;
}
