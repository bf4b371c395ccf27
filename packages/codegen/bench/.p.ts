import { loadSpecText } from "../src/load/load-spec.ts";
import { serverRegistersNodes } from "../src/emit/emit-server-registers.ts";
import { clientAttributesNodes } from "../src/emit/emit-client-attributes.ts";
import { printStatements } from "../src/emit/ts-nodes.ts";
import { EMITTERS } from "../src/emit/index.ts";
import { syntheticSpec } from "./synthetic-spec.ts";
const r = loadSpecText(syntheticSpec(1000), "x"); if (!r.ok) throw 1;
for (let i = 0; i < 5; i++) {
  const p: string[] = [];
  let t = performance.now(); const n1 = serverRegistersNodes(r.model); p.push(`srvNodes ${(performance.now()-t).toFixed(0)}`);
  t = performance.now(); printStatements(n1); p.push(`srvPrint ${(performance.now()-t).toFixed(0)}`);
  t = performance.now(); const n2 = clientAttributesNodes(r.model); p.push(`cliNodes ${(performance.now()-t).toFixed(0)}`);
  t = performance.now(); printStatements(n2); p.push(`cliPrint ${(performance.now()-t).toFixed(0)}`);
  for (const e of EMITTERS) { t = performance.now(); e(r.model, { specPath: "s" }); p.push(`${e.name.replace("emit","")} ${(performance.now() - t).toFixed(0)}`); }
  console.log(p.join(", "));
}
