// Every output the spec produces, in the order they are written and checked.
import type { Emitter } from "./emitter.ts";
import { emitCHeader } from "./emit-c-header.ts";
import { emitCSysfs } from "./emit-c-sysfs.ts";
import { emitMarkdown } from "./emit-markdown.ts";
import { emitServerRegisters } from "./emit-server-registers.ts";
import { emitClientAttributes } from "./emit-client-attributes.ts";
import { emitGoClient } from "./emit-go-client.ts";

export const EMITTERS: readonly Emitter[] = [emitCHeader, emitCSysfs, emitServerRegisters, emitClientAttributes, emitGoClient, emitMarkdown];
