// How the browser tests start Debian's chromium: headless, through
// playwright-core, with what keeps it off the network (this machine has
// none, and chromium would try, many connections at a time).
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
