// Register field masks a DRA driver needs, for attributes that show a register (status is
// STATUS in hex32), taken from the generated field tables so they follow the spec.
import { STATUS_FIELDS } from "./generated/attributes.ts";

/** STATUS.ALLOCATED (bit 0 of `status`): set while a DRA claim holds the device. */
export const STATUS_ALLOCATED: number = STATUS_FIELDS.ALLOCATED.mask;
