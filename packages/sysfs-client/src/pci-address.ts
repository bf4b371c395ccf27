// PCI addresses as the kernel names function directories: domain:bus:slot.function, lower-case hex.

const PCI_ADDRESS = /^([0-9a-f]{4}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/;

export interface PciAddressParts {
  domain: number;
  bus: number;
  slot: number;
  fn: number;
}

export function parsePciAddress(address: string): PciAddressParts | undefined {
  const m = PCI_ADDRESS.exec(address);
  if (!m) return undefined;
  return { domain: parseInt(m[1]!, 16), bus: parseInt(m[2]!, 16), slot: parseInt(m[3]!, 16), fn: parseInt(m[4]!, 16) };
}

export function formatPciAddress({ domain, bus, slot, fn }: PciAddressParts): string {
  const hex = (v: number, width: number) => v.toString(16).padStart(width, "0");
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(slot, 2)}.${fn}`;
}

/** Function 0 of the same slot: where a mock-accel VF's PF lives. */
export function functionZero(address: string): string {
  return address.replace(/\.[0-7]$/, ".0");
}

/** The root complex directory name of a domain/bus, `pci0000:10`. */
export function rootComplexName(domain: number, bus: number): string {
  return `pci${domain.toString(16).padStart(4, "0")}:${bus.toString(16).padStart(2, "0")}`;
}
