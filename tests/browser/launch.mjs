// How the browser tests start Debian's chromium: headless, through
// playwright-core, with what keeps it off the network (this machine has
// none, and chromium would try, many connections at a time); and how they
// wait on a page.
import { chromium } from "playwright-core";

// `extra`: more command-line switches (a test's own, such as
// --ignore-certificate-errors-spki-list).
export function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
      ...extra,
    ],
  });
}

// Polls `check(arg)` in the page every 50 ms until it gives something, for
// up to `patienceMs`; then fails with `what` and the test page's log.
export async function pollUntil(patienceMs, page, what, check, arg) {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const value = await page.evaluate(check, arg);
    if (value) return value;
    if (Date.now() > deadline) {
      const log = await page.evaluate(() => document.querySelector("#log")?.innerText);
      throw new Error(`no ${what} within ${patienceMs} ms; the page's log:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
