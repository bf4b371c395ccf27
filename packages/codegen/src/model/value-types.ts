// What value an attribute carries, decided once here for both the checks and the model.
import type { AttributeFormat, AttributeValueType } from "./register-model.ts";

export interface ValueSource {
  /** The spec's `type` (driver attributes). */
  type?: AttributeValueType | undefined;
  /** Register width, for register-backed attributes. */
  registerSizeBytes?: number | undefined;
  /** Field width, when the attribute shows one field. */
  fieldWidthBits?: number | undefined;
}

export function attributeValueType(format: AttributeFormat, src: ValueSource): AttributeValueType {
  if (src.type !== undefined) return src.type;
  switch (format) {
    case "uuid":
    case "semver":
    case "enum":
    case "string":
    case "bool":
      return format;
    default: {
      const bits = src.fieldWidthBits ?? (src.registerSizeBytes ?? 4) * 8;
      return bits > 32 ? "u64" : "u32";
    }
  }
}

/** Inclusive integer range of an integer-like value type, or null when the type is not a number. */
export function integerRange(t: AttributeValueType): { min: bigint; max: bigint } | null {
  switch (t) {
    case "u32":
      return { min: 0n, max: 0xffff_ffffn };
    case "s32":
      return { min: -0x8000_0000n, max: 0x7fff_ffffn };
    case "u64":
      return { min: 0n, max: 0xffff_ffff_ffff_ffffn };
    case "bool":
      return { min: 0n, max: 1n };
    default:
      return null;
  }
}
