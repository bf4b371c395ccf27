// DEVICE_ID's constant from the generated register table, so tests check that a device answers
// with the spec's magic number without restating it.
import { REG } from "../src/generated/registers.ts";

const reset = REG.DEVICE_ID.resetValue;
if (reset === null) throw new Error("spec: DEVICE_ID has no constant reset value");

export const DEVICE_ID_MAGIC: bigint = reset;
/** The same value as a number, for 32-bit reads. */
export const DEVICE_ID_MAGIC_U32: number = Number(reset);
