// Opens wsdbg serve's test page in Debian's chromium (headless, driven by
// playwright-core) and checks it against a server in broadcast mode. Run by
// tests/browser.rs, which talks with it over stdin and stdout, one line each:
//
//   node page.mjs http://127.0.0.1:PORT/ CODE [SCREENSHOT.png]
//
//   stdout "ready"          the page is open and its greeting came back
//   stdin  a line of text   the text an independent client broadcast
//   stdout "shown"          the page shows that text, as text
//   stdout "closed CODE"    the page's Close button closed with CODE
//
// Any failure goes to stderr and exits 1; the browser is always closed.
// Every wait polls the page in real time, with a deadline.

import { createInterface } from "node:readline";
import { launch, pollUntil } from "./launch.mjs";

const [url, code, screenshot] = process.argv.slice(2);
const GREETING = "hello from the wsdbg test page";
const PATIENCE_MS = 15000;

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const problems = [];

const browser = await launch();
let status = 0;
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  // Set up before the page's own script runs (init scripts are not subject
  // to the page's Content-Security-Policy).
  await page.addInitScript(() => {
    // The texts of the log's entries of one kind ("in", "out", "close").
    window.__texts = (kind) =>
      Array.from(document.querySelectorAll(`#log li.${kind} .text`), (e) => e.textContent);
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI}`),
    );
  });
  const response = await page.goto(url);
  if (response.status() !== 200) throw new Error(`GET ${url}: ${response.status()}`);

  await pollUntil(PATIENCE_MS, page, "greeting back", (g) => window.__texts("in").includes(g), GREETING);
  if (!(await page.evaluate(() => window.__texts("out"))).includes(GREETING)) {
    throw new Error("the greeting is not logged as sent");
  }
  console.log("ready");

  const { value: evil, done } = await lines.next();
  if (done) throw new Error("stdin ended before the broadcast text came");
  await pollUntil(PATIENCE_MS, page, "broadcast text", (t) => window.__texts("in").includes(t), evil);
  const injected = await page.evaluate(() => ({
    pwned: typeof window.pwned,
    elements: document.querySelectorAll("#log b, #log img, #log script").length,
  }));
  if (injected.pwned !== "undefined" || injected.elements !== 0) {
    throw new Error(`the broadcast text became HTML: ${JSON.stringify(injected)}`);
  }
  console.log("shown");

  await page.fill("#code", code);
  await page.fill("#reason", "bye from chromium");
  await page.click("#close");
  const closed = await pollUntil(
    PATIENCE_MS,
    page,
    "close",
    () => window.__texts("close").find((t) => t.startsWith("code ")),
  );
  if (!new RegExp(`^code ${code}\\b.*, clean$`).test(closed)) {
    throw new Error(`closed: ${closed}`);
  }
  if ((await page.textContent("#state")) !== "closed") throw new Error("state is not closed");
  console.log(`closed ${code}`);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  for (const v of await page.evaluate(() => window.__violations)) {
    problems.push(`CSP violation: ${v}`);
  }
} catch (e) {
  console.error(e.stack || String(e));
  status = 1;
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(problems.join("\n"));
  status = 1;
}
process.exit(status);
