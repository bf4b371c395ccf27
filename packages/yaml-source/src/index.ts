// YAML read with its positions kept, for files people write by hand (spec/registers.yaml,
// topology files): every problem is reported as file:line:column plus the field path, the way
// compilers do. Shared by the code generator's spec loader and the topology loader.
export { formatSourceError, type SourceError } from "./source-error.ts";
export { formatPath, pointerToPath, type PathSegment, type SourcePath } from "./source-path.ts";
export { YamlSource, type Anchor, type YamlSourceOptions } from "./yaml-source.ts";
