// Fetching a ResourceClaim the kubelet names and picking out what this driver must prepare.
import type { ResourceV1Api } from "@kubernetes/client-node";
import { apiErrorText, httpStatus } from "./api-errors.ts";
import type { Claim } from "./proto.ts";

export interface AllocatedResult {
  /** As the allocation names it: `<request>` or, for a prioritized list, `<request>/<subrequest>`. */
  request: string;
  pool: string;
  device: string;
  /** Admin access (monitoring a device other claims may hold): never marks or frees it. */
  adminAccess: boolean;
}

export interface ClaimSource {
  /** The claim's UID and this driver's allocation results. */
  allocation(claim: Claim, driverName: string): Promise<AllocatedResult[]>;
}

/**
 * The request a container names in `resources.claims[].request`: a prioritized-list result
 * `accel/big` belongs to request `accel` (resourceclaim.BaseRequestRef upstream). The kubelet
 * matches PreparedDevice.request_names against the container's request exactly.
 */
export function baseRequestName(request: string): string {
  const slash = request.indexOf("/");
  return slash < 0 ? request : request.slice(0, slash);
}

/** Reads claims through the API server (resource.k8s.io/v1). */
export class ApiClaimSource implements ClaimSource {
  constructor(private readonly api: ResourceV1Api) {}

  async allocation(ref: Claim, driverName: string): Promise<AllocatedResult[]> {
    const what = `ResourceClaim ${ref.namespace}/${ref.name}`;
    let claim;
    try {
      claim = await this.api.readNamespacedResourceClaim({ namespace: ref.namespace, name: ref.name });
    } catch (err) {
      if (httpStatus(err) === 404) throw new Error(`${what} not found`);
      throw new Error(`${what}: fetching it failed: ${apiErrorText(err)}`);
    }
    // A claim deleted and recreated under the same name is another claim: never prepare it for the old one's pod.
    if (claim.metadata?.uid !== ref.uid) throw new Error(`${what} has UID ${claim.metadata?.uid ?? "(none)"}, the kubelet asked for ${ref.uid}`);
    const results = claim.status?.allocation?.devices?.results;
    if (!results) throw new Error(`${what} is not allocated (status.allocation.devices.results is empty)`);
    return results.filter((r) => r.driver === driverName).map((r) => ({ request: r.request, pool: r.pool, device: r.device, adminAccess: r.adminAccess === true }));
  }
}
