// Node's `ws` through wsdbg's forward proxy with an https proxy agent
// (CONNECT, then TLS to the server inside it), for tests/browser.rs:
//
//   node proxy_client.mjs wss://localhost:PORT/PATH http://127.0.0.1:PROXY CA.pem
//
// trusts CA.pem only, offers permessage-deflate (ws's default), sends a
// text and a binary message, prints each echo on a line ("text ..." or
// "binary N bytes"), then closes with 1000.
import { readFileSync } from "node:fs";
import WebSocket from "ws";
import { HttpsProxyAgent } from "https-proxy-agent";

const [url, proxy, ca] = process.argv.slice(2);
const ws = new WebSocket(url, { agent: new HttpsProxyAgent(proxy), ca: readFileSync(ca) });
const reply = () => new Promise((resolve) => ws.once("message", (data, binary) => resolve([data, binary])));
ws.on("open", async () => {
  ws.send("hello from node through the proxy ".repeat(4));
  let [data, binary] = await reply();
  console.log(binary ? `binary ${data.length} bytes` : `text ${data}`);
  ws.send(Buffer.alloc(3000, 9));
  [data, binary] = await reply();
  console.log(binary ? `binary ${data.length} bytes` : `text ${data}`);
  ws.close(1000, "node done");
});
ws.on("close", () => process.exit(0));
ws.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
