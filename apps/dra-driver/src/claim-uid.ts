// Claim UIDs arrive from the kubelet (and from the checkpoint) and end up in file names: the
// claim's CDI spec is `<cdi-dir>/<driver>-claim_<uid>.json`. Anything that is not the shape the
// API server gives a UID (a UUID, 8-4-4-4-12 hex digits) is refused before it can name a path.

/** A claim UID that passed `claimUid()`: safe to put in a file name. */
export type ClaimUid = string & { readonly __claimUid: unique symbol };

/** The API server's UIDs are RFC 4122 UUIDs (apimachinery uuid.NewUUID). */
export const UID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
const UID = new RegExp(UID_PATTERN);

export function isClaimUid(uid: string): uid is ClaimUid {
  return UID.test(uid);
}

/** The UID, checked; throws naming the offending value (quoted, so a path in it is visible). */
export function claimUid(uid: string): ClaimUid {
  if (!isClaimUid(uid)) throw new Error(`claim UID ${JSON.stringify(uid.length > 80 ? `${uid.slice(0, 80)}…` : uid)} is not a Kubernetes UID (8-4-4-4-12 hexadecimal digits)`);
  return uid;
}
