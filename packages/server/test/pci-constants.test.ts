// The PCI constants every config-space reader and writer shares, against Linux's
// include/uapi/linux/pci_regs.h: a C program prints the kernel's value for each, so a typo in
// pci-constants.ts (or a constant added without saying where it comes from) fails here.
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { PCI_BAR, PCI_BASE_CLASS, PCI_CFG, PCI_COMMAND, PCIE_CAP, SRIOV_CAP } from "../src/device/pci-constants.ts";
import { cValues, gcc } from "./c-constants.ts";

const header = requirement("Linux UAPI headers", existsSync("/usr/include/linux/pci_regs.h"), "apt-get install linux-libc-dev");

/** Each constant as a C expression over pci_regs.h. */
const LINUX: Record<string, string> = {
  "PCI_CFG.VENDOR_ID": "PCI_VENDOR_ID",
  "PCI_CFG.DEVICE_ID": "PCI_DEVICE_ID",
  "PCI_CFG.COMMAND": "PCI_COMMAND",
  "PCI_CFG.STATUS": "PCI_STATUS",
  "PCI_CFG.REVISION_ID": "PCI_REVISION_ID",
  "PCI_CFG.CLASS_PROG": "PCI_CLASS_PROG",
  "PCI_CFG.CLASS_DEVICE": "PCI_CLASS_DEVICE",
  "PCI_CFG.CACHE_LINE_SIZE": "PCI_CACHE_LINE_SIZE",
  "PCI_CFG.LATENCY_TIMER": "PCI_LATENCY_TIMER",
  "PCI_CFG.HEADER_TYPE": "PCI_HEADER_TYPE",
  "PCI_CFG.BAR0": "PCI_BASE_ADDRESS_0",
  "PCI_CFG.BAR_COUNT": "PCI_STD_NUM_BARS",
  "PCI_CFG.BAR_BYTES": "PCI_BASE_ADDRESS_1 - PCI_BASE_ADDRESS_0",
  "PCI_CFG.ROM_ADDRESS": "PCI_ROM_ADDRESS",
  "PCI_CFG.SUBSYSTEM_VENDOR_ID": "PCI_SUBSYSTEM_VENDOR_ID",
  "PCI_CFG.SUBSYSTEM_ID": "PCI_SUBSYSTEM_ID",
  "PCI_CFG.CAPABILITIES_POINTER": "PCI_CAPABILITY_LIST",
  "PCI_CFG.INTERRUPT_LINE": "PCI_INTERRUPT_LINE",
  "PCI_CFG.INTERRUPT_PIN": "PCI_INTERRUPT_PIN",
  "PCI_CFG.STD_HEADER_BYTES": "PCI_STD_HEADER_SIZEOF",
  "PCI_CFG.EXTENDED_START": "PCI_CFG_SPACE_SIZE",
  "PCI_CFG.STATUS_CAP_LIST": "PCI_STATUS_CAP_LIST",
  "PCI_CFG.CAP_ID_EXP": "PCI_CAP_ID_EXP",
  "PCI_CFG.EXT_CAP_ID_SRIOV": "PCI_EXT_CAP_ID_SRIOV",
  "PCIE_CAP.FLAGS": "PCI_EXP_FLAGS",
  "PCIE_CAP.DEVCAP": "PCI_EXP_DEVCAP",
  "PCIE_CAP.DEVCTL": "PCI_EXP_DEVCTL",
  "PCIE_CAP.DEVSTA": "PCI_EXP_DEVSTA",
  "PCIE_CAP.LNKCAP": "PCI_EXP_LNKCAP",
  "PCIE_CAP.LNKCTL": "PCI_EXP_LNKCTL",
  "PCIE_CAP.LNKSTA": "PCI_EXP_LNKSTA",
  "PCIE_CAP.LNKCAP2": "PCI_EXP_LNKCAP2",
  "PCIE_CAP.LNKCTL2": "PCI_EXP_LNKCTL2",
  // The version 2 structure ends with Slot Status 2.
  "PCIE_CAP.SIZE_V2": "PCI_EXP_SLTSTA2 + 2",
  "SRIOV_CAP.CAPABILITIES": "PCI_SRIOV_CAP",
  "SRIOV_CAP.CONTROL": "PCI_SRIOV_CTRL",
  "SRIOV_CAP.STATUS": "PCI_SRIOV_STATUS",
  "SRIOV_CAP.INITIAL_VFS": "PCI_SRIOV_INITIAL_VF",
  "SRIOV_CAP.TOTAL_VFS": "PCI_SRIOV_TOTAL_VF",
  "SRIOV_CAP.NUM_VFS": "PCI_SRIOV_NUM_VF",
  "SRIOV_CAP.FUNCTION_LINK": "PCI_SRIOV_FUNC_LINK",
  "SRIOV_CAP.FIRST_VF_OFFSET": "PCI_SRIOV_VF_OFFSET",
  "SRIOV_CAP.VF_STRIDE": "PCI_SRIOV_VF_STRIDE",
  "SRIOV_CAP.VF_DEVICE_ID": "PCI_SRIOV_VF_DID",
  "SRIOV_CAP.SUPPORTED_PAGE_SIZES": "PCI_SRIOV_SUP_PGSIZE",
  "SRIOV_CAP.SYSTEM_PAGE_SIZE": "PCI_SRIOV_SYS_PGSIZE",
  "SRIOV_CAP.VF_BAR0": "PCI_SRIOV_BAR",
  "SRIOV_CAP.MIGRATION_STATE": "PCI_SRIOV_VFM",
  "SRIOV_CAP.SIZE": "PCI_EXT_CAP_SRIOV_SIZEOF",
  "PCI_COMMAND.MEMORY": "PCI_COMMAND_MEMORY",
  "PCI_COMMAND.MASTER": "PCI_COMMAND_MASTER",
  "PCI_COMMAND.SERR": "PCI_COMMAND_SERR",
  "PCI_COMMAND.INTX_DISABLE": "PCI_COMMAND_INTX_DISABLE",
  "PCI_BAR.MEM_ADDRESS_MASK": "(unsigned int)PCI_BASE_ADDRESS_MEM_MASK",
};

/** Constants pci_regs.h has no name for, each with where it comes from instead. */
const NOT_IN_PCI_REGS: Record<string, string> = {
  "PCI_CFG.HEADER_TYPE_MULTIFUNCTION": "PCI_HEADER_TYPE_MFD only in Linux 6.6+ headers; PCI Local Bus 3.0 §6.2.1",
  "PCIE_CAP.OFFSET": "where this model places its PCI Express capability, not a standard offset",
  "PCI_BAR.SIZING_PATTERN": "PCI Local Bus 3.0 §6.2.5.1 (all ones)",
  "PCI_BASE_CLASS.PROCESSING_ACCELERATOR": "PCI Code and ID Assignment 1.x; Linux's pci_ids.h is kernel-internal",
};

function flatten(prefix: string, table: object): [string, number][] {
  return Object.entries(table).map(([k, v]) => [`${prefix}.${k}`, v as number]);
}

const ALL = new Map([
  ...flatten("PCI_CFG", PCI_CFG),
  ...flatten("PCIE_CAP", PCIE_CAP),
  ...flatten("SRIOV_CAP", SRIOV_CAP),
  ...flatten("PCI_COMMAND", PCI_COMMAND),
  ...flatten("PCI_BAR", PCI_BAR),
  ...flatten("PCI_BASE_CLASS", PCI_BASE_CLASS),
]);

describe("PCI constants", () => {
  it("every constant either has a pci_regs.h name or says why not", () => {
    const unaccounted = [...ALL.keys()].filter((k) => !(k in LINUX) && !(k in NOT_IN_PCI_REGS));
    expect(unaccounted).toEqual([]);
    expect(Object.keys(LINUX).filter((k) => !ALL.has(k))).toEqual([]);
  });

  it.skipIf(gcc.skip || header.skip)("match Linux's include/uapi/linux/pci_regs.h", () => {
    assertAvailable(gcc);
    assertAvailable(header);
    const fromC = cValues({ includes: ["linux/pci_regs.h"], values: LINUX });
    expect(Object.fromEntries(Object.keys(LINUX).map((k) => [k, ALL.get(k)]))).toEqual(fromC);
  });
});
