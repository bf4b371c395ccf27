// Class device (and /dev node) names, from the spec's sysfs.device_names templates: the same
// rule the driver's MOCK_ACCEL_PF_NAME_FMT / MOCK_ACCEL_VF_NAME_FMT and the Go client's
// PFDeviceName / VFDeviceName follow.
import { DEVICE_NAMES } from "./generated/attributes.ts";

/** The name the driver gives PF number `pf` (0, 1, ... in probe order): `mock0`. */
export function pfDeviceName(pf: number): string {
  return DEVICE_NAMES.pf.replace("{pf}", String(pf));
}

/** The name the driver gives VF `vf` (its VF_INDEX) of PF number `pf`: `mock0_vf1`. */
export function vfDeviceName(pf: number, vf: number): string {
  return DEVICE_NAMES.vf.replace("{pf}", String(pf)).replace("{vf}", String(vf));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
const pattern = (template: string) =>
  new RegExp(`^${template.split(/(\{pf\}|\{vf\})/).map((p) => (p === "{pf}" || p === "{vf}" ? "(0|[1-9][0-9]*)" : escape(p))).join("")}$`);
const PF_NAME = pattern(DEVICE_NAMES.pf);
const VF_NAME = pattern(DEVICE_NAMES.vf);

/** PF number and VF index of a name the driver gives; null for any other name. */
export function parseDeviceName(name: string): { pf: number; vf: number | null } | null {
  const vf = VF_NAME.exec(name);
  if (vf) return { pf: Number(vf[1]), vf: Number(vf[2]) };
  const pf = PF_NAME.exec(name);
  return pf ? { pf: Number(pf[1]), vf: null } : null;
}
