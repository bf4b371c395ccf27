// Bun's `import text from "x.proto" with { type: "text" }` (src/embedded-protos.ts).
declare module "*.proto" {
  const text: string;
  export default text;
}
