// Runs inside the guest: Bun runs it from the checkout shared over 9p (see script.ts and
// test/in-guest.test.ts), so it is the driver's own sources against the real kernel sysfs, with
// no API server. Modes, each printing one JSON line the host parses:
//   slices NODE                 inventory + buildSlices: the ResourceSlices this node would publish
//   prepare NODE UID DEVICE...  ClaimPreparer.prepare of claim UID for DEVICEs (DRA names), with
//                               the claim served from memory; prints the response and the CDI spec
//   unprepare NODE UID          ClaimPreparer.unprepare, in a fresh process: the claim is known
//                               only through the checkpoint the prepare wrote (a plugin restart)
// CDI specs go to $DRA_GUEST_DIR/cdi and the checkpoint to $DRA_GUEST_DIR/checkpoint.json
// (default /tmp/dra). On a host, DRA_GUEST_SYSFS points it at a fake tree.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MockAccelSysfs } from "@mock-accel/sysfs-client";
// The modules behind the package's index, not the index itself: it also loads the API-server
// client and gRPC, which Bun takes a minute to load from source under TCG, and this program
// talks to neither. Same code the index exports.
import { cdiSpecPath } from "../src/cdi.ts";
import { claimUid } from "../src/claim-uid.ts";
import { Checkpoint } from "../src/checkpoint.ts";
import type { AllocatedResult, ClaimSource } from "../src/claims.ts";
import { DeviceInventory } from "../src/inventory.ts";
import { consoleLogger } from "../src/logger.ts";
import { ClaimPreparer } from "../src/prepare.ts";
import { buildSlices } from "../src/slices.ts";

/** The driver name (the test passes the package's DEFAULT_DRIVER_NAME). */
const DRIVER = process.env.DRA_DRIVER_NAME ?? "mock-accel.example.com";
// The real tree in the guest; a fake one (createFakeSysfs) when tried on a host.
const sysfsRoot = process.env.DRA_GUEST_SYSFS ?? "/sys";
const dir = process.env.DRA_GUEST_DIR ?? "/tmp/dra";
const cdiDir = join(dir, "cdi");
const checkpointPath = join(dir, "checkpoint.json");
const CLAIM = { namespace: "default", name: "in-guest" };

// Slices are in @kubernetes/client-node's model form, where an int attribute is `_int`; print
// them as the API server would receive them.
const wire = (_k: string, v: unknown) => {
  if (typeof v === "bigint") return v.toString();
  if (v !== null && typeof v === "object" && "_int" in v) return { int: (v as { _int: unknown })._int };
  return v;
};
const print = (v: unknown) => console.log(JSON.stringify(v, wire));

/** The claim an API server would hold, allocated to `devices` in this node's pool. */
class StaticClaimSource implements ClaimSource {
  constructor(private readonly uid: string, private readonly nodeName: string, private readonly devices: readonly string[]) {}
  async allocation(claim: { uid: string; namespace: string; name: string }, driverName: string): Promise<AllocatedResult[]> {
    if (claim.uid !== this.uid) throw new Error(`ResourceClaim ${claim.namespace}/${claim.name} has UID ${this.uid}, asked for ${claim.uid}`);
    if (driverName !== DRIVER) return [];
    return this.devices.map((device, i) => ({ request: `accel-${i}`, pool: this.nodeName, device, adminAccess: false }));
  }
}

/** The checkpoint as a restarted plugin would load it from the disk (its newest intact version). */
function onDisk(): { claims: Readonly<Record<string, unknown>> } {
  return { claims: Checkpoint.load(checkpointPath, DRIVER).claims() };
}

function preparer(nodeName: string, claims: ClaimSource): { preparer: ClaimPreparer; checkpoint: Checkpoint } {
  const inventory = new DeviceInventory(new MockAccelSysfs({ root: sysfsRoot }), DRIVER, consoleLogger);
  const checkpoint = Checkpoint.load(checkpointPath, DRIVER);
  return { preparer: new ClaimPreparer({ driverName: DRIVER, nodeName, cdiDir, checkpoint, inventory, claims, log: consoleLogger }), checkpoint };
}

async function slices(nodeName: string): Promise<void> {
  const inventory = new DeviceInventory(new MockAccelSysfs({ root: sysfsRoot }), DRIVER, consoleLogger);
  const snapshot = await inventory.snapshot();
  print({ skipped: snapshot.skipped, slices: buildSlices({ driverName: DRIVER, nodeName, generation: 1 }, snapshot.devices) });
}

async function prepare(nodeName: string, uid: string, devices: string[]): Promise<void> {
  const { preparer: p } = preparer(nodeName, new StaticClaimSource(uid, nodeName, devices));
  const response = await p.prepare({ claims: [{ ...CLAIM, uid }] });
  const specPath = cdiSpecPath(cdiDir, DRIVER, claimUid(uid));
  const cdi = existsSync(specPath) ? (JSON.parse(readFileSync(specPath, "utf8")) as unknown) : null;
  print({ response, cdiPath: specPath, cdi, checkpoint: onDisk() });
}

async function unprepare(nodeName: string, uid: string): Promise<void> {
  // No claim source: unprepare never fetches the claim, only the checkpoint says what to undo.
  const refuse: ClaimSource = { allocation: () => Promise.reject(new Error("unprepare must not fetch the claim")) };
  const { preparer: p, checkpoint } = preparer(nodeName, refuse);
  const known = checkpoint.get(uid) ?? null;
  const response = await p.unprepare({ claims: [{ ...CLAIM, uid }] });
  const specPath = cdiSpecPath(cdiDir, DRIVER, claimUid(uid));
  print({ known, response, cdiExists: existsSync(specPath), checkpoint: onDisk() });
}

const [mode, nodeName, ...rest] = process.argv.slice(2);
if (mode === "slices" && nodeName) await slices(nodeName);
else if (mode === "prepare" && nodeName && rest.length >= 2) await prepare(nodeName, rest[0]!, rest.slice(1));
else if (mode === "unprepare" && nodeName && rest.length === 1) await unprepare(nodeName, rest[0]!);
else {
  console.error(`usage: slices NODE | prepare NODE UID DEVICE... | unprepare NODE UID (got ${process.argv.slice(2).join(" ")})`);
  process.exit(2);
}
