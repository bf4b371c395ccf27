export async function manifestsCommand(_argv: string[]): Promise<number> {
  console.error("mock-accel dra manifests: not written yet");
  return 1;
}
