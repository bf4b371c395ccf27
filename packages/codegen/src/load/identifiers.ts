// What a spec name must be to work as a C identifier, a C macro part and a TypeScript identifier.

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

// C11/C23 keywords plus the kernel's own spellings, and JavaScript/TypeScript reserved words
// (strict mode, since generated modules are ES modules). Case matters in both languages.
const C_RESERVED = new Set(
  ("auto break case char const continue default do double else enum extern float for goto if inline int long " +
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while " +
    "_Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local " +
    "alignas alignof bool constexpr false nullptr static_assert thread_local true typeof typeof_unqual " +
    "asm NULL").split(" "),
);
const TS_RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "implements interface let package private protected public static yield await arguments eval undefined").split(" "),
);

/** Why `name` cannot be used as a generated identifier, or null when it can. */
export function identifierProblem(name: string): string | null {
  if (!IDENT.test(name)) return `"${name}" is not a valid C/TypeScript identifier (letters, digits, _; not starting with a digit)`;
  if (C_RESERVED.has(name)) return `"${name}" is a reserved word in C`;
  if (TS_RESERVED.has(name)) return `"${name}" is a reserved word in TypeScript`;
  if (/^_[A-Z_]/.test(name) || name.includes("__"))
    return `"${name}" is reserved in C (leading underscore + capital, or "__", which also separates register and field in macros)`;
  return null;
}

/** passphrase_status -> PassphraseStatus (type names in the generated client). */
export function pascalCase(name: string): string {
  return name
    .split("_")
    .filter((p) => p !== "")
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase())
    .join("");
}

/** P2P_DMA -> p2pDma: a register field's name as a DRA attribute name (Kubernetes' lowerCamel style). */
export function lowerCamel(name: string): string {
  const p = pascalCase(name);
  return p.charAt(0).toLowerCase() + p.slice(1);
}

/** Words Go spells as initialisms (Effective Go: ServeHTTP, not ServeHttp). */
const INITIALISMS = new Set(["uuid", "numa", "fw", "sriov", "vf", "vfs", "pf", "id", "pci", "dma", "p2p", "dra"]);

/** sriov_numvfs -> SRIOVNumvfs, fw_version -> FWVersion, P2P_DMA -> P2PDMA. */
export function goName(name: string): string {
  return name
    .split("_")
    .filter((p) => p !== "")
    .map((p) => (INITIALISMS.has(p.toLowerCase()) ? p.toUpperCase() : p.charAt(0).toUpperCase() + p.slice(1).toLowerCase()))
    .join("");
}

/**
 * Members the hand-written Device type has (clients/go/mockaccel/device.go, dra.go): a spec
 * attribute whose accessor would take one of these names is refused by the loader rather than
 * failing the Go build with a duplicate.
 */
export const GO_DEVICE_MEMBERS = new Set([
  "Name", "Kind", "PCIAddress", "NUMA", "VendorID", "DeviceID", "ClassCode", "PCIeRoot", "Index", "PF", "Path", "PCIPath",
  "DevicePath", "Has", "DRAAttributes", "ResourceSliceDevice",
]);
