// Everything a cluster needs to run the driver, as Kubernetes objects: namespace, RBAC (only
// what the node agent calls: get claims; manage ResourceSlices, and an admission policy
// confining each node's agent to its own node's slices), the DaemonSet, the two DeviceClasses,
// a KMM Module that builds the spec's kernel module (mock_accel.ko) from the sources shipped
// in the driver image, and example claims. The CEL in them is evaluated in test/manifests.test.ts.
import { ATTRIBUTES, DEVICE_NAME, DRA_BIT_ATTRIBUTES, type CAPABILITIES_FIELDS } from "@mock-accel/sysfs-client";
import { DEFAULT_CDI_DIR, DEFAULT_DRIVER_NAME } from "./driver.ts";

export interface ManifestOptions {
  driverName?: string;
  namespace?: string;
  image?: string;
  /** Where KMM pushes the kernel-module images it builds (one tag per kernel). */
  kmodImage?: string;
  /** The node agent's ServiceAccount (default mock-accel-dra-kubelet-plugin). */
  serviceAccountName?: string;
  /** The ClusterRole, its binding and the admission policy (`<name>-own-node`); default: the ServiceAccount's name. */
  clusterRoleName?: string;
}

export const DEFAULT_NAMESPACE = "mock-accel-dra";
/** The image as built locally from the Containerfile (podman's name for it); --image names a pushed one. */
export const DEFAULT_IMAGE = "localhost/mock-accel/dra-driver:latest";
/** Where the driver image keeps the committed kernel-module sources (Containerfile). */
export const KMOD_SOURCE_DIR = "/opt/mock-accel/kernel-driver";

// Kubernetes objects are plain data here; their shapes are checked by the test with kubernetes-models.
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: unknown };

export interface ExampleClaim {
  object: K8sObject;
  /** What the claim asks for, in words (also its `description` annotation). */
  description: string;
}

const APP = "mock-accel-dra-driver";
/** DRA names the spec gives the attributes the example claims select on (spec/registers.yaml `dra:`). */
const NUMA_NODE_ATTRIBUTE = ATTRIBUTES.numa_node.dra!.name;
const MEMORY_CAPACITY = ATTRIBUTES.memory_size.dra!.name;
/**
 * The boolean attribute a CAPABILITIES field of the spec is published as (`<driver>/encryption`):
 * CEL has no bitwise operators, so the `capabilities` int cannot be selected by bit.
 */
export function capabilityAttribute(field: keyof typeof CAPABILITIES_FIELDS): string {
  // The generated table carries the spec's naming rule (`dra: { bits: true }`); no second copy here.
  const bit = DRA_BIT_ATTRIBUTES.find((b) => b.attribute === "capabilities" && b.field === field);
  if (!bit) throw new Error(`capabilities field ${field} is not published as a DRA attribute (spec/registers.yaml dra.bits)`);
  return bit.name;
}
/** The kernel module's file name: the spec's device.name, as the kernel-driver Kbuild names it. */
const MODULE_FILE = `${DEVICE_NAME}.ko`;
/** The node a pod's service-account token is bound to (ServiceAccountTokenPodNodeInfo, on since 1.30). */
const NODE_NAME_EXTRA = "authentication.kubernetes.io/node-name";

/** The selector expressions, shared by the DeviceClasses and the documentation. */
export function classSelector(driverName: string, kind: "pf" | "vf"): string {
  return `device.driver == "${driverName}" && device.attributes["${driverName}"].deviceType == "${kind}"`;
}

export function deviceClassName(kind: "pf" | "vf"): string {
  return `mock-accel-${kind}`;
}

export function deviceClasses(driverName: string): K8sObject[] {
  return (["pf", "vf"] as const).map((kind) => ({
    apiVersion: "resource.k8s.io/v1",
    kind: "DeviceClass",
    metadata: { name: deviceClassName(kind), annotations: { description: kind === "pf" ? "mock-accel physical functions" : "mock-accel SR-IOV virtual functions" } },
    spec: { selectors: [{ cel: { expression: classSelector(driverName, kind) } }] },
  }));
}

/** Optional classes (not printed by `dra manifests`; the Helm chart offers them): VFs with at
 *  least `vfMinMemory` of memory, and devices of either kind on NUMA node `numaNode`. The
 *  arguments are text for CEL and names, so the chart generator can pass template expressions. */
export function exampleDeviceClasses(driverName: string, o: { vfMinMemory: string; numaNode: string }): K8sObject[] {
  return [
    {
      apiVersion: "resource.k8s.io/v1", kind: "DeviceClass",
      metadata: { name: `${deviceClassName("vf")}-min-memory`, annotations: { description: `mock-accel SR-IOV virtual functions with at least ${o.vfMinMemory} of memory` } },
      spec: { selectors: [{ cel: { expression: classSelector(driverName, "vf") } }, memoryAtLeast(driverName, o.vfMinMemory)] },
    },
    {
      apiVersion: "resource.k8s.io/v1", kind: "DeviceClass",
      metadata: { name: `mock-accel-numa-node-${o.numaNode}`, annotations: { description: `mock-accel devices on NUMA node ${o.numaNode}` } },
      spec: { selectors: [{ cel: { expression: `device.driver == "${driverName}" && device.attributes["${driverName}"].${NUMA_NODE_ATTRIBUTE} == ${o.numaNode}` } }] },
    },
  ];
}

/** A CEL selector: one expression over a candidate device. */
export interface CelSelector {
  cel: { expression: string };
}

/** A request for `count` devices of the PF or VF DeviceClass (the shape example claims and example pods share). */
export function exactRequest(name: string, kind: "pf" | "vf", count: number, selectors?: CelSelector[]): Record<string, unknown> {
  return { name, exactly: { deviceClassName: deviceClassName(kind), allocationMode: "ExactCount", count, ...(selectors ? { selectors } : {}) } };
}

/** The devices of `requests` all on one NUMA node (the spec's numa_node attribute). */
export function sameNumaNode(driverName: string, requests: string[]): Record<string, unknown> {
  return { requests, matchAttribute: `${driverName}/${NUMA_NODE_ATTRIBUTE}` };
}

/** The VFs of `requests` all of one physical function (the driver's physFn attribute: the PF's PCI address). */
export function samePhysFn(driverName: string, requests: string[]): Record<string, unknown> {
  return { requests, matchAttribute: `${driverName}/physFn` };
}

/** Devices that have a CAPABILITIES bit, through its boolean attribute (see capabilityAttribute). */
export function capabilitySelector(driverName: string, field: keyof typeof CAPABILITIES_FIELDS): CelSelector {
  return { cel: { expression: `device.attributes["${driverName}"].${capabilityAttribute(field)} == true` } };
}

/** Devices with at least `quantity` of memory (the spec's memory_size capacity). */
export function memoryAtLeast(driverName: string, quantity: string): CelSelector {
  return { cel: { expression: `device.capacity["${driverName}"].${MEMORY_CAPACITY}.compareTo(quantity("${quantity}")) >= 0` } };
}

export function exampleClaims(driverName: string, namespace: string): ExampleClaim[] {
  const claim = (name: string, description: string, devices: Record<string, unknown>): ExampleClaim => ({
    description,
    object: { apiVersion: "resource.k8s.io/v1", kind: "ResourceClaim", metadata: { name, namespace, annotations: { description } }, spec: { devices } },
  });
  return [
    claim("one-pf", "one physical function", { requests: [exactRequest("accel", "pf", 1)] }),
    claim("two-on-one-numa-node", "two physical functions on the same NUMA node", {
      requests: [exactRequest("accels", "pf", 2)],
      constraints: [sameNumaNode(driverName, ["accels"])],
    }),
    claim("two-vfs-of-one-pf", "two virtual functions of the same physical function", {
      requests: [exactRequest("vfs", "vf", 2)],
      constraints: [samePhysFn(driverName, ["vfs"])],
    }),
    claim("pf-with-8gi", "one physical function with at least 8Gi of memory", {
      requests: [exactRequest("big", "pf", 1, [memoryAtLeast(driverName, "8Gi")])],
    }),
    claim("pf-with-encryption", "one physical function with the encryption capability", {
      requests: [exactRequest("accel", "pf", 1, [capabilitySelector(driverName, "ENCRYPTION")])],
    }),
  ];
}

/** The Dockerfile KMM builds per kernel: sources from the driver image, headers from Debian. */
export function kmodDockerfile(image: string): string {
  return `# Built by KMM once per kernel (KERNEL_FULL_VERSION is set by KMM).
ARG KERNEL_FULL_VERSION
FROM ${image} AS source

FROM debian:bookworm AS build
ARG KERNEL_FULL_VERSION
RUN apt-get update && apt-get install -y --no-install-recommends build-essential kmod linux-headers-\${KERNEL_FULL_VERSION} && rm -rf /var/lib/apt/lists/*
COPY --from=source ${KMOD_SOURCE_DIR} /src
RUN make -C /lib/modules/\${KERNEL_FULL_VERSION}/build M=/src modules

FROM debian:bookworm-slim
ARG KERNEL_FULL_VERSION
RUN apt-get update && apt-get install -y --no-install-recommends kmod && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/${MODULE_FILE} /opt/lib/modules/\${KERNEL_FULL_VERSION}/extra/${MODULE_FILE}
COPY --from=source ${KMOD_SOURCE_DIR}/firmware/mock-accel-wordlist.txt /firmware/mock-accel-wordlist.txt
RUN depmod -b /opt \${KERNEL_FULL_VERSION}
`;
}

export function renderObjects(options: ManifestOptions = {}): K8sObject[] {
  const driverName = options.driverName ?? DEFAULT_DRIVER_NAME;
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const image = options.image ?? DEFAULT_IMAGE;
  const kmodImage = options.kmodImage ?? `${image.replace(/:[^:/]*$/, "")}-kmod`;
  const sa = options.serviceAccountName ?? "mock-accel-dra-kubelet-plugin";
  const role = options.clusterRoleName ?? sa;
  const labels = { "app.kubernetes.io/name": APP };
  const pluginDir = `/var/lib/kubelet/plugins/${driverName}`;
  const hostDirs: [string, string, string][] = [
    ["sysfs", "/sys", "Directory"],
    ["dev", "/dev", "Directory"],
    ["plugins-registry", "/var/lib/kubelet/plugins_registry", "Directory"],
    ["plugin-dir", pluginDir, "DirectoryOrCreate"],
    ["cdi", DEFAULT_CDI_DIR, "DirectoryOrCreate"],
  ];
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace } },
    {
      apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: role },
      rules: [
        // Prepare reads the claim the kubelet names; nothing else about claims.
        { apiGroups: ["resource.k8s.io"], resources: ["resourceclaims"], verbs: ["get"] },
        // Publishing: list and watch this node's slices (field selector), create, replace, delete stale ones.
        { apiGroups: ["resource.k8s.io"], resources: ["resourceslices"], verbs: ["get", "list", "watch", "create", "update", "delete"] },
        // The Node owns the slices (ownerReferences need its UID).
        { apiGroups: [""], resources: ["nodes"], verbs: ["get"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: role },
      subjects: [{ kind: "ServiceAccount", name: sa, namespace }],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
    },
    {
      // RBAC cannot say "only your own node's slices"; this policy can, from the node name the
      // API server binds into the pod's service-account token.
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicy", metadata: { name: `${role}-own-node` },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: { resourceRules: [{ apiGroups: ["resource.k8s.io"], apiVersions: ["*"], operations: ["CREATE", "UPDATE", "DELETE"], resources: ["resourceslices"] }] },
        matchConditions: [{ name: "isDriverServiceAccount", expression: `request.userInfo.username == "system:serviceaccount:${namespace}:${sa}"` }],
        variables: [
          { name: "userNodeName", expression: `has(request.userInfo.extra) && "${NODE_NAME_EXTRA}" in request.userInfo.extra ? request.userInfo.extra["${NODE_NAME_EXTRA}"][0] : ""` },
          { name: "objectNodeName", expression: `request.operation == "DELETE" ? (has(oldObject.spec.nodeName) ? oldObject.spec.nodeName : "") : (has(object.spec.nodeName) ? object.spec.nodeName : "")` },
        ],
        validations: [
          { expression: `variables.userNodeName != ""`, message: "no node name in the service-account token: the driver must run in a pod bound to a node" },
          { expression: `variables.userNodeName == variables.objectNodeName`, messageExpression: `"the driver on node " + variables.userNodeName + " may only change ResourceSlices of its own node"` },
        ],
      },
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name: `${role}-own-node` },
      spec: { policyName: `${role}-own-node`, validationActions: ["Deny"] },
    },
    {
      apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: APP, namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: { type: "RollingUpdate" },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: sa,
            containers: [{
              name: "plugin",
              image,
              args: ["run", "--driver-name", driverName],
              env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
              // Writes STATUS through sysfs and hands /dev/mockN to containers.
              securityContext: { privileged: true },
              resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
              volumeMounts: hostDirs.map(([name, path]) => ({ name, mountPath: path })),
            }],
            volumes: hostDirs.map(([name, path, type]) => ({ name, hostPath: { path, type } })),
          },
        },
      },
    },
    ...deviceClasses(driverName),
    {
      apiVersion: "v1", kind: "ConfigMap", metadata: { name: "mock-accel-kmod-build", namespace },
      data: { dockerfile: kmodDockerfile(image) },
    },
    {
      apiVersion: "kmm.sigs.x-k8s.io/v1beta1", kind: "Module", metadata: { name: "mock-accel", namespace },
      spec: {
        moduleLoader: {
          container: {
            modprobe: { moduleName: DEVICE_NAME, firmwarePath: "/firmware" },
            kernelMappings: [{
              regexp: "^.+$",
              containerImage: `${kmodImage}:\${KERNEL_FULL_VERSION}`,
              build: { dockerfileConfigMap: { name: "mock-accel-kmod-build" } },
            }],
          },
        },
        selector: { "kubernetes.io/os": "linux" },
      },
    },
    ...exampleClaims(driverName, namespace).map((c) => c.object),
  ];
}
