// The one Handlebars instance the C and Markdown emitters render with. Templates compile in
// strict mode, so a view that lacks a variable the template names is an error, never an
// empty string in a generated file. Views are plain data computed in TypeScript; templates
// hold the layout and no logic beyond #each/#if.
import Handlebars from "handlebars";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

type Render = (view: object) => string;

const hb = Handlebars.create();
const cache = new Map<string, Render>();
let partialsLoaded = false;

function loadPartials(): void {
  if (partialsLoaded) return;
  // Partials live in templates/partials/<name>.hbs and are used as {{> name}}.
  const dir = join(TEMPLATES_DIR, "partials");
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".hbs")) continue;
    hb.registerPartial(file.slice(0, -4), hb.compile(readFileSync(join(dir, file), "utf8"), { strict: true, noEscape: true }));
  }
  partialsLoaded = true;
}

/** Render templates/<name> with `view`. Throws (naming the template) on a missing variable. */
export function renderTemplate(name: string, view: object): string {
  loadPartials();
  let render = cache.get(name);
  if (!render) {
    const compiled = hb.compile(readFileSync(join(TEMPLATES_DIR, name), "utf8"), { strict: true, noEscape: true });
    render = (v) => compiled(v);
    cache.set(name, render);
  }
  try {
    return render(view);
  } catch (e) {
    throw new Error(`codegen: template ${name}: ${(e as Error).message}`);
  }
}
