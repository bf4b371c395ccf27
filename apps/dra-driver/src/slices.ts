// ResourceSlices for one node: one pool named after the node, split into slices of at most
// 128 devices (the API server's limit), every slice carrying the pool's generation. Pure: the
// publisher decides when to bump the generation and talks to the API server.
//
// Objects are in @kubernetes/client-node's model form, not JSON form: its serializer only
// writes the keys its models declare, and an integer attribute is `_int` there ("int" on
// the wire). A plain `{ int: 1 }` would be dropped silently.
import type { V1Device, V1OwnerReference, V1ResourceSlice } from "@kubernetes/client-node";
import { canonicalJson } from "./canonical-json.ts";

/** The API server refuses slices with more devices than this (resource.k8s.io/v1 ResourceSliceMaxDevices). */
export const MAX_DEVICES_PER_SLICE = 128;

export interface PoolSpec {
  driverName: string;
  nodeName: string;
  generation: number;
  /** The node's UID: the Node owns the slices, so they go when it is deleted. */
  nodeUid?: string;
}

/** The Node as controller owner, as upstream's resourceslice controller sets it. */
export function nodeOwner(nodeName: string, nodeUid: string): V1OwnerReference {
  return { apiVersion: "v1", kind: "Node", name: nodeName, uid: nodeUid, controller: true };
}

/** `<node>-<driver>-<index>`: a DNS subdomain, stable across restarts so updates replace in place. */
export function sliceName(nodeName: string, driverName: string, index: number): string {
  return `${nodeName}-${driverName}-${index}`;
}

const byName = (a: V1Device, b: V1Device) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function buildSlices(pool: PoolSpec, devices: readonly V1Device[]): V1ResourceSlice[] {
  const sorted = [...devices].sort(byName);
  const chunks: V1Device[][] = [];
  for (let i = 0; i < sorted.length; i += MAX_DEVICES_PER_SLICE) chunks.push(sorted.slice(i, i + MAX_DEVICES_PER_SLICE));
  // A node with no devices still publishes one empty slice: it tells the scheduler the pool is empty rather than unknown.
  if (chunks.length === 0) chunks.push([]);
  return chunks.map((chunk, index) => ({
    apiVersion: "resource.k8s.io/v1",
    kind: "ResourceSlice",
    metadata: { name: sliceName(pool.nodeName, pool.driverName, index), ...(pool.nodeUid === undefined ? {} : { ownerReferences: [nodeOwner(pool.nodeName, pool.nodeUid)] }) },
    spec: {
      driver: pool.driverName,
      nodeName: pool.nodeName,
      pool: { name: pool.nodeName, generation: pool.generation, resourceSliceCount: chunks.length },
      devices: chunk,
    },
  }));
}

/** Whether `existing` already publishes exactly `desired` (ignoring server-set metadata and the generation). */
export function sameContent(desired: readonly V1ResourceSlice[], existing: readonly V1ResourceSlice[]): boolean {
  if (desired.length !== existing.length) return false;
  const key = (s: V1ResourceSlice) => canonicalJson({ name: s.metadata?.name, owners: s.metadata?.ownerReferences ?? [], spec: { ...s.spec, pool: { ...s.spec.pool, generation: 0 } } });
  const want = new Set(desired.map(key));
  return existing.every((s) => want.has(key(s))) && new Set(existing.map((s) => s.spec.pool.generation)).size === 1;
}
