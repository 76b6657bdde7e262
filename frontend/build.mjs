// Builds the front end into static/dist/ (a build output: never edit or commit it).
//
//   npm run build
//
// 1. Compiles frontend/scss/portal.scss (GOV.UK Frontend + our components) to static/dist/portal.css:
//    compressed, no source map, node_modules on the load path, dependency warnings quiet.
// 2. Copies GOV.UK Frontend's ES module bundle to static/dist/govuk-frontend.min.js, without its
//    sourceMappingURL comment (we do not ship the .map, and a dangling reference would only 404).
// 3. Copies none of GOV.UK Frontend's assets: the portal uses system fonts (no GDS Transport), no
//    crown or crest images, and its own favicon (static/images/favicon.svg).
// 4. Checks the CSS it wrote: no GDS Transport, no url() at all (so nothing external and nothing
//    that ManifestStaticFilesStorage would have to find), and fails the build if either appears.

import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "static", "dist");
const scssEntry = join(root, "frontend", "scss", "portal.scss");
const govukJs = join(root, "node_modules", "govuk-frontend", "dist", "govuk", "govuk-frontend.min.js");

function fail(message) {
  console.error(`build failed: ${message}`);
  process.exit(1);
}

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

// 1. CSS
let css;
try {
  const result = sass.compile(scssEntry, {
    loadPaths: [join(root, "node_modules")],
    style: "compressed",
    sourceMap: false,
    quietDeps: true,
    // GOV.UK Frontend 5 is written for @import (and its custom image-url hook needs the global
    // scope that @import gives), so portal.scss imports its parts with @import deliberately.
    silenceDeprecations: ["import"],
  });
  css = result.css;
} catch (error) {
  fail(error.message);
}

if (/GDS Transport/i.test(css)) fail("portal.css mentions the GDS Transport font");
if (/url\(/i.test(css)) fail("portal.css contains a url(): no fonts or images should be referenced");
if (/@import/i.test(css)) fail("portal.css contains an @import");

await writeFile(join(dist, "portal.css"), css + "\n");

// 2. JS
const js = (await readFile(govukJs, "utf8")).replace(/\s*\/\/# sourceMappingURL=\S+\s*$/, "\n");
if (!/export\s*\{[^}]*\binitAll\b/.test(js)) fail("govuk-frontend.min.js no longer exports initAll");
await writeFile(join(dist, "govuk-frontend.min.js"), js);

for (const file of ["portal.css", "govuk-frontend.min.js"]) {
  console.log(`wrote ${relative(root, join(dist, file))}`);
}
