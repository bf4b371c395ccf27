// The protos parsed from text: what an entry point embeds (src/embedded-protos.ts, which only Bun
// can import) gives the same services as the files, and a broken text is refused naming it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MessageTypeDefinition, MethodDefinition } from "@grpc/proto-loader";
import { afterEach, expect, test } from "vitest";
import { kubeletProtos, PROTO_DIR, PROTO_FILES, useEmbeddedProtos, type ProtoTexts } from "../src/proto.ts";

const fromFiles = () => Object.fromEntries(PROTO_FILES.map((f) => [f, readFileSync(join(PROTO_DIR, f), "utf8")])) as ProtoTexts;

/** A message type's name (proto-loader hands its DescriptorProto over as `type`). */
const typeName = (t: MessageTypeDefinition<object, object>) => (t.type as { name?: string }).name ?? "?";

/** Each service's methods as the kubelet calls them: path, request and response types. */
function methods(): Record<string, string[]> {
  const p = kubeletProtos();
  const services = { registration: p.registration, draV1: p.dra.v1, draV1beta1: p.dra.v1beta1 };
  return Object.fromEntries(Object.entries(services).map(([name, ctor]) => [
    name,
    // proto-loader's definitions behind grpc-js's narrower MethodDefinition type.
    Object.values(ctor.service as unknown as Record<string, MethodDefinition<object, object>>)
      .map((m) => `${m.path} ${typeName(m.requestType)} -> ${typeName(m.responseType)}`).sort(),
  ]));
}

afterEach(() => useEmbeddedProtos(undefined));

test("embedded texts give the services the files give, with the kubelet's method paths", () => {
  const files = methods();
  expect(files.draV1).toEqual([
    "/k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin/NodePrepareResources NodePrepareResourcesRequest -> NodePrepareResourcesResponse",
    "/k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin/NodeUnprepareResources NodeUnprepareResourcesRequest -> NodeUnprepareResourcesResponse",
  ]);
  expect(files.registration).toEqual([
    "/pluginregistration.Registration/GetInfo InfoRequest -> PluginInfo",
    "/pluginregistration.Registration/NotifyRegistrationStatus RegistrationStatus -> RegistrationStatusResponse",
  ]);
  useEmbeddedProtos(fromFiles());
  expect(methods()).toEqual(files);
});

test("a broken embedded proto is refused naming the file and the line", () => {
  const texts = fromFiles();
  useEmbeddedProtos({ ...texts, "dra/v1/api.proto": texts["dra/v1/api.proto"].replace("message Claim {", "message Claim {{") });
  expect(() => kubeletProtos()).toThrow(/^embedded dra\/v1\/api\.proto: illegal token '\{' \(line \d+\)$/);
});
