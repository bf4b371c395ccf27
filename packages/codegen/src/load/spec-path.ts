// Field paths: segments as the loader walks them, and the dotted/bracket text people read
// (@mock-accel/yaml-source's, under the spec's names).
export { formatPath, pointerToPath, type PathSegment, type SourcePath as SpecPath } from "@mock-accel/yaml-source";
