// Register field masks a DRA driver needs, for attributes that show a register (status is
// STATUS in hex32). Hand-written because the generated attributes.ts carries no field masks
// yet; test/register-bits.test.ts checks each one against the server's generated field table,
// so a spec change that moves a bit fails there instead of silently here.

/** STATUS.ALLOCATED (bit 0 of `status`): set while a DRA claim holds the device. */
export const STATUS_ALLOCATED = 0x1;
