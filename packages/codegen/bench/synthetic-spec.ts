// A synthetic spec of N registers, each with a sysfs attribute, for the codegen benchmark.
// Mixes the formats so every emitter path is exercised, not just the cheapest one.

export function syntheticSpec(registerCount: number): string {
  const barSize = 1 << Math.ceil(Math.log2(Math.max(16, registerCount * 4)));
  const regs: string[] = [];
  const attrs: string[] = [];
  for (let i = 0; i < registerCount; i++) {
    const name = `REG_${String(i).padStart(4, "0")}`;
    const attr = name.toLowerCase();
    const kind = i % 4;
    const offset = `0x${(i * 4).toString(16)}`;
    if (kind === 0) {
      regs.push(`      - { name: ${name}, offset: ${offset}, size_bytes: 4, access: RO, reset: ${i} }`);
      attrs.push(`    - { name: ${attr}, source: { register: ${name} }, format: decimal, mode: "0444" }`);
    } else if (kind === 1) {
      regs.push(`      - { name: ${name}, offset: ${offset}, size_bytes: 4, access: RW, reset: 0, write_range: { min: 0, max: 100 } }`);
      attrs.push(`    - { name: ${attr}, source: { register: ${name} }, format: decimal, mode: "0644", write: { min: 0, max: 100 } }`);
    } else if (kind === 2) {
      regs.push(
        `      - name: ${name}\n        offset: ${offset}\n        size_bytes: 4\n        access: RO\n        reset: 0\n` +
          `        fields:\n          - { name: LOW, lsb: 0, width_bits: 16 }\n          - { name: HIGH, lsb: 16, width_bits: 16 }`,
      );
      attrs.push(`    - { name: ${attr}, source: { register: ${name} }, format: hex32, mode: "0444" }`);
    } else {
      regs.push(
        `      - name: ${name}\n        offset: ${offset}\n        size_bytes: 4\n        access: RO\n        reset: 0\n` +
          `        enum:\n          - { name: OFF, value: 0 }\n          - { name: ON, value: 1 }`,
      );
      attrs.push(`    - { name: ${attr}, source: { register: ${name} }, format: enum, mode: "0444" }`);
    }
  }
  return `spec_version: 1
device: { name: synth_dev }
pci:
  vendor_id: 0x1de5
  pf_device_id: 0x0001
  vf_device_id: 0x0002
  class_code: 0x120000
  revision_id: 0x01
  subsystem_vendor_id: 0x0000
  subsystem_id: 0x0000
  sriov: { capability_offset: 0x100, max_total_vfs: 7, first_vf_offset: 1, vf_stride: 1 }
device_config: []
bars:
  - name: BAR0
    index: 0
    size_bytes: ${barSize}
    hole_reads: zero
    hole_writes: ignore_and_log
    read_only_writes: ignore_and_log
    write_only_reads: zero
    registers:
${regs.join("\n")}
firmware: { file: synth-words.txt, words: 1 }
sysfs:
  class: synth
  device_names: { pf: "synth{pf}", vf: "synth{pf}_vf{vf}" }
  attributes:
${attrs.join("\n")}
`;
}
