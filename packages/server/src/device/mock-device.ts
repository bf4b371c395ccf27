// MockDevice: the one device model both transports (libvfio-user, QEMU proxy) drive. It owns
// the BAR0 register file, the behaviours the spec names, and the PCI config space.
import { EventEmitter } from "node:events";
import {
  PASSPHRASE_CMD_VALUES,
  PASSPHRASE_STATUS_VALUES,
  REG,
  type DeviceConfig,
  type RegisterBehaviours,
  type RegisterDef,
  type RegisterName,
} from "../generated/registers.ts";
import { PciConfigSpace } from "./config-space.ts";
import type { DeviceKind } from "./device-config.ts";
import { silentLogger, type Logger } from "./logger.ts";
import { WordPicker } from "./passphrase.ts";
import { RegisterFile } from "./register-file.ts";

export interface RegisterWriteEvent {
  name: RegisterName;
  value: bigint;
  previous: bigint;
}

export interface MockDeviceEvents {
  /** An accepted guest write to a register with `behaviour: notify` (STATUS, SRIOV_NUM_VFS). */
  "register-write": [RegisterWriteEvent];
  /** The device was reset. */
  reset: [];
}

export interface MockDeviceOptions {
  kind: DeviceKind;
  config: DeviceConfig;
  /** Replace built-in behaviours (tests, extensions); the rest stay as built. */
  behaviours?: Partial<RegisterBehaviours>;
  log?: Logger;
  /** Header type multifunction bit; set it on a PF whose VFs are functions 1..N of its slot. */
  multifunction?: boolean;
  /** Words for the passphrase generator; the EFF large wordlist by default. */
  words?: readonly string[];
}

export class MockDevice extends EventEmitter<MockDeviceEvents> {
  readonly kind: DeviceKind;
  readonly config: DeviceConfig;
  readonly configSpace: PciConfigSpace;
  private readonly log: Logger;
  private readonly registers: RegisterFile;
  private readonly behaviours: RegisterBehaviours;
  private readonly picker: WordPicker;
  private readonly encoder = new TextEncoder();

  constructor(options: MockDeviceOptions) {
    super();
    this.kind = options.kind;
    this.config = options.config;
    this.log = options.log ?? silentLogger;
    this.picker = new WordPicker(options.words);
    // Typed as the generated interface: a register the spec gives a new behaviour fails to
    // type-check here until it is implemented.
    const builtIn: RegisterBehaviours = {
      PASSPHRASE_CMD: (value) => this.passphraseCommand(value),
      STATUS: (value, previous) => this.notifyWrite("STATUS", value, previous),
      SRIOV_NUM_VFS: (value, previous) => this.notifyWrite("SRIOV_NUM_VFS", value, previous),
    };
    this.behaviours = { ...builtIn, ...options.behaviours };
    this.registers = new RegisterFile(
      {
        command: (def, value) => this.dispatch(def, value, 0n),
        notify: (def, value, previous) => this.dispatch(def, value, previous),
      },
      this.log,
    );
    this.configSpace = new PciConfigSpace({
      kind: this.kind,
      totalVfs: Number(this.config.total_vfs),
      multifunction: options.multifunction ?? false,
    });
    this.registers.reset((def) => this.sourceValue(def));
  }

  /** Guest read of out.length bytes (any width, any offset) of BAR0. */
  bar0Read(offsetBytes: number, out: Uint8Array): void {
    this.registers.read(offsetBytes, out);
  }

  /** Guest write of data (any width, any offset) to BAR0. */
  bar0Write(offsetBytes: number, data: Uint8Array): void {
    this.registers.write(offsetBytes, data);
  }

  /** Guest read of 1..8 bytes of BAR0 as a little-endian value (for the proxy transport). */
  bar0ReadValue(offsetBytes: number, sizeBytes: number): bigint {
    const buf = new Uint8Array(8);
    this.registers.read(offsetBytes, buf.subarray(0, sizeBytes));
    return new DataView(buf.buffer).getBigUint64(0, true);
  }

  /** Guest write of 1..8 bytes of BAR0 given as a little-endian value (for the proxy transport). */
  bar0WriteValue(offsetBytes: number, sizeBytes: number, value: bigint): void {
    const buf = new Uint8Array(8);
    new DataView(buf.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    this.registers.write(offsetBytes, buf.subarray(0, sizeBytes));
  }

  /** Device reset: registers to reset values, config sources re-applied, config space reset. */
  reset(): void {
    this.registers.reset((def) => this.sourceValue(def));
    this.configSpace.reset();
    this.log.debug("device reset");
    this.emit("reset");
  }

  /** The device's own value of a register (a write-only one included). */
  readRegister(name: RegisterName): bigint {
    return this.registers.value(name);
  }

  /** A register's bytes as a guest read returns them (UUID, PASSPHRASE_BUFFER). */
  readRegisterBytes(name: RegisterName): Uint8Array {
    return this.registers.bytes(name);
  }

  /** The BAR0 register that owns an offset, or null for a hole. */
  registerAt(offsetBytes: number): RegisterDef | null {
    return this.registers.registerAt(offsetBytes);
  }

  private sourceValue(def: RegisterDef): bigint | Uint8Array {
    const value = def.source === null ? undefined : this.config[def.source];
    if (value === undefined) throw new Error(`register ${def.name}: device config has no ${String(def.source)}`);
    return value;
  }

  private dispatch(def: RegisterDef, value: bigint, previous: bigint): void {
    // The generated interface lists exactly the registers with a behaviour.
    const handler = (this.behaviours as unknown as Record<string, ((v: bigint, p: bigint) => void) | undefined>)[def.name];
    if (handler === undefined) {
      this.log.error(`register ${def.name} has behaviour ${def.behaviour} but no handler`);
      return;
    }
    handler(value, previous);
  }

  private notifyWrite(name: RegisterName, value: bigint, previous: bigint): void {
    this.log.info(`${name} = 0x${value.toString(16)} (was 0x${previous.toString(16)})`);
    this.emit("register-write", { name, value, previous });
  }

  private passphraseCommand(value: bigint): void {
    if (value !== PASSPHRASE_CMD_VALUES.GENERATE) {
      this.log.warn(`PASSPHRASE_CMD: unknown command ${value}`);
      this.registers.set("PASSPHRASE_STATUS", PASSPHRASE_STATUS_VALUES.ERROR);
      return;
    }
    // Generation is synchronous: a transport answers one access at a time, so a guest sees
    // BUSY only if it could read between these two lines (a future async source could).
    this.registers.set("PASSPHRASE_STATUS", PASSPHRASE_STATUS_VALUES.BUSY);
    const length = this.registers.value("PASSPHRASE_LENGTH");
    // The register's write range already keeps the length in bounds; checked again here so a
    // spec change that drops the range cannot produce an empty or runaway passphrase.
    const range = REG.PASSPHRASE_LENGTH.writeRange;
    const min = range === null || range.min < 1n ? 1n : range.min;
    const max = range !== null && typeof range.max === "bigint" ? range.max : BigInt(REG.PASSPHRASE_BUFFER.sizeBytes);
    if (length < min || length > max) {
      this.log.warn(`PASSPHRASE_CMD: PASSPHRASE_LENGTH ${length} is outside ${min}..${max}`);
      this.registers.set("PASSPHRASE_STATUS", PASSPHRASE_STATUS_VALUES.ERROR);
      return;
    }
    const words = this.picker.pick(Number(length));
    const text = this.encoder.encode(`${words.join(" ")}\0`);
    if (text.length > REG.PASSPHRASE_BUFFER.sizeBytes) {
      this.log.error(`PASSPHRASE_CMD: ${text.length} bytes do not fit PASSPHRASE_BUFFER (${REG.PASSPHRASE_BUFFER.sizeBytes})`);
      this.registers.set("PASSPHRASE_STATUS", PASSPHRASE_STATUS_VALUES.ERROR);
      return;
    }
    this.registers.setBytes("PASSPHRASE_BUFFER", text);
    this.registers.set("PASSPHRASE_COUNT", length);
    this.registers.set("PASSPHRASE_STATUS", PASSPHRASE_STATUS_VALUES.READY);
    this.log.debug(`passphrase generated (${length} words)`);
  }
}
