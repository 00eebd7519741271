// Opens wsdbg serve's test page at /?check in Debian's chromium (headless,
// driven by playwright-core) against `wsdbg serve --check`: the page
// connects again after each case until the server closes it with 4000
// (every case has run). Run by tests/browser.rs:
//
//   node check_page.mjs http://127.0.0.1:PORT/?check
//
//   stdout "done N"   the page logged the end, after N connections
//
// The browser's console errors are expected here (a case that breaks a rule
// makes chromium fail the connection and say so) and are not counted;
// page errors are. Any failure goes to stderr and exits 1; the browser is
// always closed. The wait polls the page in real time, with a deadline.

import { launch } from "./launch.mjs";

const [url] = process.argv.slice(2);
const PATIENCE_MS = 90000;

const browser = await launch();
let status = 0;
try {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  const response = await page.goto(url);
  if (response.status() !== 200) throw new Error(`GET ${url}: ${response.status()}`);
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    const state = await page.evaluate(() => ({
      done: Array.from(document.querySelectorAll("#log li.info .what"), (e) => e.textContent).includes("done"),
      opened: Array.from(document.querySelectorAll("#log li.info .what"), (e) => e.textContent).filter((t) => t === "open").length,
    }));
    if (state.done) {
      if (problems.length) throw new Error(problems.join("\n"));
      console.log(`done ${state.opened}`);
      break;
    }
    if (Date.now() > deadline) {
      const log = await page.evaluate(() => document.querySelector("#log")?.innerText);
      throw new Error(`the page did not get through the cases within ${PATIENCE_MS} ms; its log:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
} catch (e) {
  console.error(String(e.stack || e));
  status = 1;
} finally {
  await browser.close();
}
process.exit(status);
