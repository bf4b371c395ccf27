// The BAR0 register engine. Built from the generated REGISTERS table: a flat byte image that
// holds exactly what a read returns (holes and write-only registers stay 0), and a per-byte
// index of the register that owns each offset. A read is then a byte copy, whatever its
// width, offset or how many registers it spans; a write walks the registers it touches and
// applies each one's access mode, write range and behaviour.
import { BAR0_SIZE_BYTES, REGISTERS, REG, type RegisterDef, type RegisterName } from "../generated/registers.ts";
import type { Logger } from "./logger.ts";

export interface RegisterFileHooks {
  /** A write to a register with `behaviour: command`; nothing is stored. */
  command(def: RegisterDef, value: bigint): void;
  /** An accepted write to a register with `behaviour: notify`, after it is stored. */
  notify(def: RegisterDef, value: bigint, previous: bigint): void;
}

/** Repeats of one ignored-write message within this window are counted, not logged. */
const LOG_WINDOW_MS = 1000;

const hex = (v: bigint | number, digits = 0) => `0x${v.toString(16).padStart(digits, "0")}`;

export class RegisterFile {
  readonly sizeBytes = BAR0_SIZE_BYTES;
  /** What a read at each offset returns. */
  readonly image = new Uint8Array(BAR0_SIZE_BYTES);
  /** Index into REGISTERS of the register owning each byte, -1 for holes. */
  private readonly owner = new Int16Array(BAR0_SIZE_BYTES).fill(-1);
  /** Values of write-only registers without a command behaviour: kept, but reads give 0. */
  private readonly writeOnlyValues = new Map<RegisterName, bigint>();
  private readonly scratch = new Uint8Array(8);
  private readonly scratchView = new DataView(this.scratch.buffer);
  private readonly lastLogged = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly hooks: RegisterFileHooks,
    private readonly log: Logger,
  ) {
    REGISTERS.forEach((def, index) => {
      if (def.offsetBytes < 0 || def.offsetBytes + def.sizeBytes > BAR0_SIZE_BYTES) {
        throw new Error(`register ${def.name} at ${hex(def.offsetBytes)} (+${def.sizeBytes}) lies outside BAR0 (${BAR0_SIZE_BYTES} bytes)`);
      }
      for (let b = def.offsetBytes; b < def.offsetBytes + def.sizeBytes; b++) {
        if (this.owner[b] !== -1) throw new Error(`register ${def.name} overlaps ${REGISTERS[this.owner[b]!]!.name} at ${hex(b)}`);
        this.owner[b] = index;
      }
    });
  }

  /** The register owning `offsetBytes`, or null for a hole or an offset outside BAR0. */
  registerAt(offsetBytes: number): RegisterDef | null {
    const index = this.owner[offsetBytes];
    return index === undefined || index < 0 ? null : REGISTERS[index]!;
  }

  /** Guest read of out.length bytes at offsetBytes. Bytes outside BAR0 read 0 (and are logged). */
  read(offsetBytes: number, out: Uint8Array): void {
    const n = out.length;
    const image = this.image;
    if (offsetBytes >= 0 && offsetBytes + n <= BAR0_SIZE_BYTES) {
      if (n <= 8) for (let i = 0; i < n; i++) out[i] = image[offsetBytes + i]!;
      else out.set(image.subarray(offsetBytes, offsetBytes + n));
      return;
    }
    this.logIgnored("read-outside", `BAR0 read of ${n} bytes at ${hex(offsetBytes)} reaches outside BAR0 (${BAR0_SIZE_BYTES} bytes): those bytes read 0`);
    for (let i = 0; i < n; i++) {
      const at = offsetBytes + i;
      out[i] = at >= 0 && at < BAR0_SIZE_BYTES ? image[at]! : 0;
    }
  }

  /** Guest write of data at offsetBytes, split over every register (and hole) it covers. */
  write(offsetBytes: number, data: Uint8Array): void {
    let start = offsetBytes;
    let end = offsetBytes + data.length;
    if (start < 0 || end > BAR0_SIZE_BYTES) {
      this.logIgnored("write-outside", `BAR0 write of ${data.length} bytes at ${hex(offsetBytes)} reaches outside BAR0 (${BAR0_SIZE_BYTES} bytes): those bytes ignored`);
      start = Math.max(0, start);
      end = Math.min(BAR0_SIZE_BYTES, end);
    }
    let pos = start;
    while (pos < end) {
      const index = this.owner[pos]!;
      if (index < 0) {
        let holeEnd = pos + 1;
        while (holeEnd < end && this.owner[holeEnd]! < 0) holeEnd++;
        this.logIgnored(`hole`, `write to unmapped BAR0 ${hex(pos, 3)}..${hex(holeEnd - 1, 3)} ignored`);
        pos = holeEnd;
        continue;
      }
      const def = REGISTERS[index]!;
      const segmentEnd = Math.min(end, def.offsetBytes + def.sizeBytes);
      this.writeRegisterPart(def, pos, data.subarray(pos - offsetBytes, segmentEnd - offsetBytes));
      pos = segmentEnd;
    }
  }

  private writeRegisterPart(def: RegisterDef, at: number, bytes: Uint8Array): void {
    if (def.access === "RO") {
      this.logIgnored(`ro:${def.name}`, `write to read-only ${def.name} (${hex(def.offsetBytes, 3)}) ignored`);
      return;
    }
    if (def.sizeBytes > 8) {
      // No wide writable register exists today; refuse rather than guess a bigint layout.
      this.logIgnored(`wide:${def.name}`, `write to ${def.name}: writable registers wider than 8 bytes are not supported`);
      return;
    }
    // A partial write merges its bytes into the current value, little-endian. A command
    // register stores nothing, so it merges into 0.
    const merged = this.scratch;
    merged.fill(0);
    if (def.access === "RW") for (let i = 0; i < def.sizeBytes; i++) merged[i] = this.image[def.offsetBytes + i]!;
    merged.set(bytes, at - def.offsetBytes);
    const value = this.scratchView.getBigUint64(0, true);
    if (def.writeRange !== null) {
      const { min, max } = def.writeRange;
      const maxValue = typeof max === "bigint" ? max : this.value(max);
      if (value < min || value > maxValue) {
        const bound = typeof max === "bigint" ? `${max}` : `${maxValue} (${max})`;
        this.logIgnored(`range:${def.name}`, `write of ${value} to ${def.name} refused: outside ${min}..${bound}`);
        return;
      }
    }
    if (def.behaviour === "command") {
      this.hooks.command(def, value);
      return;
    }
    if (def.access === "WO") {
      this.writeOnlyValues.set(def.name, value);
      return;
    }
    const previous = this.value(def.name);
    this.image.set(merged.subarray(0, def.sizeBytes), def.offsetBytes);
    if (def.behaviour === "notify") this.hooks.notify(def, value, previous);
  }

  /** The device's own view of a register (write-only ones included), as an unsigned integer. */
  value(name: RegisterName): bigint {
    const def = REG[name];
    if (def.access === "WO") return this.writeOnlyValues.get(name) ?? 0n;
    const o = def.offsetBytes;
    if (def.sizeBytes === 4) return BigInt((this.image[o]! | (this.image[o + 1]! << 8) | (this.image[o + 2]! << 16) | (this.image[o + 3]! << 24)) >>> 0);
    let v = 0n;
    for (let i = def.sizeBytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.image[o + i]!);
    return v;
  }

  /** A copy of a register's bytes as a read returns them. */
  bytes(name: RegisterName): Uint8Array {
    const def = REG[name];
    return this.image.slice(def.offsetBytes, def.offsetBytes + def.sizeBytes);
  }

  /** Set a register from the device side (no access checks, no behaviours). */
  set(name: RegisterName, value: bigint): void {
    const def = REG[name];
    if (def.access === "WO") {
      this.writeOnlyValues.set(name, value);
      return;
    }
    let v = value;
    for (let i = 0; i < def.sizeBytes; i++) {
      this.image[def.offsetBytes + i] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  /** Set a register's bytes from the device side; bytes beyond `data` become 0. */
  setBytes(name: RegisterName, data: Uint8Array): void {
    const def = REG[name];
    if (data.length > def.sizeBytes) throw new Error(`${data.length} bytes do not fit ${def.name} (${def.sizeBytes} bytes)`);
    this.image.fill(0, def.offsetBytes, def.offsetBytes + def.sizeBytes);
    this.image.set(data, def.offsetBytes);
  }

  /** Back to reset values; `source` registers take their value from `sourceValue`. */
  reset(sourceValue: (def: RegisterDef) => bigint | Uint8Array): void {
    this.image.fill(0);
    this.writeOnlyValues.clear();
    for (const def of REGISTERS) {
      const v = def.resetValue ?? (def.source !== null ? sourceValue(def) : 0n);
      if (typeof v === "bigint") this.set(def.name, v);
      else this.setBytes(def.name, v);
    }
  }

  /**
   * Ignored accesses are logged at warn, but a guest hammering one register would flood the
   * log: repeats of the same message within LOG_WINDOW_MS are counted and reported with the
   * next one logged.
   */
  private logIgnored(key: string, message: string): void {
    const now = Date.now();
    const last = this.lastLogged.get(key);
    if (last !== undefined && now - last.atMs < LOG_WINDOW_MS) {
      last.suppressed++;
      return;
    }
    const suffix = last !== undefined && last.suppressed > 0 ? ` (${last.suppressed} similar suppressed)` : "";
    this.lastLogged.set(key, { atMs: now, suppressed: 0 });
    this.log.warn(message + suffix);
  }
}
