// The wire contract, checked without our .proto files: requests hand-encoded with the field
// numbers of the published kubelet API, responses decoded by field number. A typo in a field
// number in proto/ would pass every other test (both ends share the files) but fail here.
import * as grpc from "@grpc/grpc-js";
import { afterEach, beforeEach, expect, it } from "vitest";
import { DRIVER, NODE, setup, type Env } from "./harness.ts";

let env: Env;
beforeEach(async () => {
  env = await setup([{ totalVfs: 1, enabledVfs: 1 }]);
  await env.start();
});
afterEach(async () => env.cleanup());

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
function field(no: number, bytes: Uint8Array | string): number[] {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return [...varint((no << 3) | 2), ...varint(b.length), ...b];
}
const msg = (...fields: number[][]) => new Uint8Array(fields.flat());

type Decoded = Map<number, (Uint8Array | number)[]>;
function decode(buf: Uint8Array): Decoded {
  const out: Decoded = new Map();
  let i = 0;
  const readVarint = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++]!;
      v |= (b & 0x7f) << shift;
      if (b < 0x80) return v >>> 0;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const tag = readVarint();
    const no = tag >>> 3;
    const type = tag & 7;
    let value: Uint8Array | number;
    if (type === 2) {
      const len = readVarint();
      value = buf.subarray(i, i + len);
      i += len;
    } else if (type === 0) value = readVarint();
    else throw new Error(`unexpected wire type ${type}`);
    out.set(no, [...(out.get(no) ?? []), value]);
  }
  return out;
}
const text = (v: Uint8Array | number | undefined) => new TextDecoder().decode(v as Uint8Array);

function rawCall(socket: string, path: string, body: Uint8Array): Promise<Uint8Array> {
  const client = new grpc.Client(`unix:${socket}`, grpc.credentials.createInsecure());
  return new Promise<Uint8Array>((resolve, reject) =>
    client.makeUnaryRequest(path, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => new Uint8Array(b), body, (err, res) => (err ? reject(err) : resolve(res!))),
  ).finally(() => client.close());
}

it("GetInfo answers with PluginInfo fields 1..4 at pluginregistration.Registration", async () => {
  const res = decode(await rawCall(env.driver!.plugin.registrationSocket, "/pluginregistration.Registration/GetInfo", new Uint8Array()));
  expect(text(res.get(1)![0])).toBe("DRAPlugin");
  expect(text(res.get(2)![0])).toBe(DRIVER);
  expect(text(res.get(3)![0])).toBe(env.driver!.plugin.draSocket);
  expect(res.get(4)!.map(text)).toEqual(["v1.DRAPlugin", "v1beta1.DRAPlugin"]);
});

for (const version of ["v1", "v1beta1"]) {
  it(`NodePrepareResources / NodeUnprepareResources (${version}) by field number`, async () => {
    const uid = env.api.allocateClaim("default", "c", [{ request: "req", driver: DRIVER, pool: NODE, device: "mock0-vf0" }]);
    const claim = msg(field(1, "default"), field(2, uid), field(3, "c"));
    const service = `/k8s.io.kubelet.pkg.apis.dra.${version}.DRAPlugin`;
    const prepared = decode(await rawCall(env.driver!.plugin.draSocket, `${service}/NodePrepareResources`, msg(field(1, claim))));
    const entry = decode(prepared.get(1)![0] as Uint8Array); // map entry: key = 1, value = 2
    expect(text(entry.get(1)![0])).toBe(uid);
    const result = decode(entry.get(2)![0] as Uint8Array);
    expect(text(result.get(2)?.[0] ?? new Uint8Array())).toBe(""); // error (field 2) empty or absent
    const device = decode(result.get(1)![0] as Uint8Array);
    expect(text(device.get(1)![0])).toBe("req");
    expect(text(device.get(2)![0])).toBe(NODE);
    expect(text(device.get(3)![0])).toBe("mock0-vf0");
    expect(text(device.get(4)![0])).toBe(`${DRIVER}/claim=${uid}-mock0-vf0`);
    expect(await env.status("mock0_vf0")).toBe(1);

    const unprepared = decode(await rawCall(env.driver!.plugin.draSocket, `${service}/NodeUnprepareResources`, msg(field(1, claim))));
    const uentry = decode(unprepared.get(1)![0] as Uint8Array);
    expect(text(uentry.get(1)![0])).toBe(uid);
    expect(await env.status("mock0_vf0")).toBe(0);
  });
}
