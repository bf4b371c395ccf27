// Self-contained kubeconfig files (certificates embedded), one per identity.
import { readFileSync, writeFileSync } from "node:fs";
import type { CertPair } from "./pki.ts";

const b64 = (path: string) => readFileSync(path).toString("base64");

export function kubeconfigText(server: string, caCert: string, user: string, client: CertPair): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: mock-accel",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(caCert)}`,
    "users:",
    `- name: ${user}`,
    "  user:",
    `    client-certificate-data: ${b64(client.cert)}`,
    `    client-key-data: ${b64(client.key)}`,
    "contexts:",
    "- name: mock-accel",
    "  context:",
    "    cluster: mock-accel",
    `    user: ${user}`,
    "current-context: mock-accel",
    "",
  ].join("\n");
}

export function writeKubeconfig(path: string, server: string, caCert: string, user: string, client: CertPair): string {
  writeFileSync(path, kubeconfigText(server, caCert, user, client), { mode: 0o600 });
  return path;
}
