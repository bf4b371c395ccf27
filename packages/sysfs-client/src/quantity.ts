// Kubernetes resource.Quantity text for a byte count, in the canonical form the API server
// itself prints: the largest binary suffix that divides exactly ("16Gi"), else plain digits.

const BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"] as const;

export function bytesToQuantity(bytes: bigint): string {
  if (bytes < 0n) throw new RangeError(`bytesToQuantity: negative byte count ${bytes}`);
  if (bytes === 0n) return "0";
  let value = bytes;
  let i = 0;
  while (i < BINARY_SUFFIXES.length - 1 && value % 1024n === 0n) {
    value /= 1024n;
    i += 1;
  }
  return `${value}${BINARY_SUFFIXES[i]}`;
}
