// JSON with sorted keys and undefined members dropped: two objects built in different key
// orders (ours, and one the Kubernetes client deserialized) compare equal when they mean
// the same thing.
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v) || v instanceof Date) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const member = (v as Record<string, unknown>)[k];
      if (member !== undefined) out[k] = member;
    }
    return out;
  });
}
