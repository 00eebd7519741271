// Opens wsdbg serve's test page over https:// in Debian's chromium
// (headless, driven by playwright-core), trusting wsdbg's local CA by the
// SPKI hash `wsdbg ca --spki` prints and nothing else (no flag that turns
// certificate checks off). Run by tests/browser.rs:
//
//   node tls_page.mjs https://localhost:PORT/ SPKI
//
//   stdout "ready"   the page loaded over TLS, and its greeting came back
//                    over wss://
//
// Any failure goes to stderr and exits 1; the browser is always closed.

import { launch, pollUntil } from "./launch.mjs";

const [url, spki] = process.argv.slice(2);
const GREETING = "hello from the wsdbg test page";
const PATIENCE_MS = 15000;

const browser = await launch([`--ignore-certificate-errors-spki-list=${spki}`]);
let status = 0;
try {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  const response = await page.goto(url);
  if (response.status() !== 200) throw new Error(`GET ${url}: ${response.status()}`);
  await pollUntil(
    PATIENCE_MS,
    page,
    "greeting back",
    (g) => Array.from(document.querySelectorAll("#log li.in .text"), (e) => e.textContent).includes(g),
    GREETING,
  );
  if (problems.length) throw new Error(problems.join("\n"));
  console.log("ready");
} catch (e) {
  console.error(String(e.stack || e));
  status = 1;
} finally {
  await browser.close();
}
process.exit(status);
