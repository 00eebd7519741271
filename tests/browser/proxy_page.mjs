// Opens an https page in Debian's chromium (headless, driven by
// playwright-core) through wsdbg's forward proxy, with loopback proxied
// too; the page opens wss:// back to its server. Run by tests/browser.rs:
//
//   node proxy_page.mjs https://localhost:PORT/ http://127.0.0.1:PROXY [SPKI]
//
//   stdout "ready"         both of the page's messages came back over wss://
//   stdout "refused: ..."  the page did not load (its certificate was not
//                          trusted, without SPKI)
//
// With SPKI, chromium trusts the certificates that key is in the chain of
// (wsdbg's local CA: `wsdbg ca --spki`), and nothing else. Any other
// failure goes to stderr and exits 1; the browser is always closed.

import { launch, pollUntil } from "./launch.mjs";

const [url, proxy, spki] = process.argv.slice(2);
const PATIENCE_MS = 15000;

const extra = [`--proxy-server=${proxy}`, "--proxy-bypass-list=<-loopback>"];
if (spki) extra.push(`--ignore-certificate-errors-spki-list=${spki}`);
const browser = await launch(extra);
let status = 0;
try {
  const page = await browser.newPage();
  let response;
  try {
    response = await page.goto(url);
  } catch (e) {
    console.log(`refused: ${String(e.message).split("\n")[0]}`);
    throw null;
  }
  if (response.status() !== 200) throw new Error(`GET ${url}: ${response.status()}`);
  const got = await pollUntil(
    PATIENCE_MS,
    page,
    "both echoes",
    () => {
      const got = Array.from(document.querySelectorAll("#log li.in"), (e) => e.textContent);
      return got.length === 2 ? got : null;
    },
  );
  const want = ["hello through the proxy", "binary 1,2,3,250"];
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`the page got ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
  }
  await pollUntil(PATIENCE_MS, page, "the close", () => document.querySelector("#log li.closed"));
  console.log("ready");
} catch (e) {
  if (e !== null) {
    console.error(String(e.stack || e));
    status = 1;
  }
} finally {
  await browser.close();
}
process.exit(status);
