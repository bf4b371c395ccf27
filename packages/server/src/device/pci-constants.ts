// Offsets, IDs and bits PCI and PCI Express define (PCI Local Bus 3.0, PCIe Base 4.0; the names
// follow Linux's include/uapi/linux/pci_regs.h where it has one). Standard facts, not the
// device's: what the spec says about mock-accel (IDs, class, SR-IOV layout) is in the generated
// PCI table. Everything that reads or builds a config space (the device model, the proxy's
// view, the vfio-user worker, the clients and `probe`) takes its offsets from here.

/** Offsets and IDs of the standard structures (PCI Local Bus 3.0, PCIe Base 4.0). */
export const PCI_CFG = {
  VENDOR_ID: 0x00, DEVICE_ID: 0x02, COMMAND: 0x04, STATUS: 0x06, REVISION_ID: 0x08, CLASS_PROG: 0x09,
  CACHE_LINE_SIZE: 0x0c, LATENCY_TIMER: 0x0d, HEADER_TYPE: 0x0e, BAR0: 0x10, SUBSYSTEM_VENDOR_ID: 0x2c,
  SUBSYSTEM_ID: 0x2e, CAPABILITIES_POINTER: 0x34, INTERRUPT_LINE: 0x3c, INTERRUPT_PIN: 0x3d,
  /** Sub-class (byte) then base class (byte): the upper two bytes of the class code. */
  CLASS_DEVICE: 0x0a,
  /** Six 32-bit BARs from BAR0 (0x10..0x27), then the expansion ROM BAR. */
  BAR_COUNT: 6, BAR_BYTES: 4, ROM_ADDRESS: 0x30,
  /** The type 0 header; capabilities live above it, up to the end of the 256-byte standard space. */
  STD_HEADER_BYTES: 0x40,
  /** Standard header: 256 bytes; PCI Express: 4 KiB with extended capabilities from 0x100. */
  EXTENDED_START: 0x100,
  STATUS_CAP_LIST: 0x0010,
  HEADER_TYPE_MULTIFUNCTION: 0x80,
  CAP_ID_EXP: 0x10,
  EXT_CAP_ID_SRIOV: 0x0010,
} as const;

/** Where this model puts its PCI Express capability, and its register offsets inside it. */
export const PCIE_CAP = {
  OFFSET: 0x40, FLAGS: 0x02, DEVCAP: 0x04, DEVCTL: 0x08, DEVSTA: 0x0a, LNKCAP: 0x0c, LNKCTL: 0x10, LNKSTA: 0x12,
  LNKCAP2: 0x2c, LNKCTL2: 0x30, SIZE_V2: 0x3c,
} as const;

/** SR-IOV extended capability register offsets (PCIe Base 4.0 §9.3.3). */
export const SRIOV_CAP = {
  CAPABILITIES: 0x04, CONTROL: 0x08, STATUS: 0x0a, INITIAL_VFS: 0x0c, TOTAL_VFS: 0x0e, NUM_VFS: 0x10,
  FUNCTION_LINK: 0x12, FIRST_VF_OFFSET: 0x14, VF_STRIDE: 0x16, VF_DEVICE_ID: 0x1a, SUPPORTED_PAGE_SIZES: 0x1c,
  SYSTEM_PAGE_SIZE: 0x20, VF_BAR0: 0x24, MIGRATION_STATE: 0x3c, SIZE: 0x40,
} as const;

/** COMMAND register bits. */
export const PCI_COMMAND = {
  MEMORY: 0x0002, MASTER: 0x0004, SERR: 0x0100, INTX_DISABLE: 0x0400,
} as const;

/** BAR register bits: a memory BAR's low four bits are its type, the rest its address. */
export const PCI_BAR = {
  MEM_ADDRESS_MASK: 0xffff_fff0,
  /** What software writes to size a BAR: the BAR reads back ~(size - 1) | type bits. */
  SIZING_PATTERN: 0xffff_ffff,
} as const;

/** Base class codes (PCI Code and ID Assignment). */
export const PCI_BASE_CLASS = {
  PROCESSING_ACCELERATOR: 0x12,
} as const;
