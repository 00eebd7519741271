// STOMP over WebSocket client (@stomp/stompjs with ws as its WebSocket):
// the conversation of stomp_client.py, but with CONNECT (stompjs's
// command), the second message as a binary frame (binaryBody), and the
// subprotocols stompjs itself offers (v12.stomp, v11.stomp, v10.stomp).
//
//   node stomp_client.mjs ws://127.0.0.1:PORT/
import { Client } from "@stomp/stompjs";
import WebSocket from "ws";

const url = process.argv[2];
if (!url) {
  console.error("usage: node stomp_client.mjs ws://HOST:PORT/");
  process.exit(2);
}
const fail = (why) => {
  console.error(`stomp_client.mjs: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 10000).unref();
const out = (line) => console.log(line);
const signal = () => {
  let resolve;
  const p = new Promise((r) => (resolve = r));
  p.resolve = resolve;
  return p;
};
const got = { connected: signal(), subReceipt: signal(), hello: signal(), two: signal(),
  beatIn: signal(), beatOut: signal() };

const client = new Client({
  webSocketFactory: () => new WebSocket(url, client.stompVersions.protocolVersions()),
  heartbeatIncoming: 500,
  heartbeatOutgoing: 500,
  reconnectDelay: 0,
  // deactivate() sends DISCONNECT with this receipt, closes on its RECEIPT.
  disconnectHeaders: { receipt: "bye" },
  debug: (msg) => {
    if (msg === ">>> PING" && !got.beatOut.done) {
      got.beatOut.done = true;
      out("heartbeat sent");
      got.beatOut.resolve();
    }
  },
  onConnect: (frame) => {
    out(`connected version=${frame.headers.version} heart-beat=${frame.headers["heart-beat"]}`);
    got.connected.resolve();
  },
  onHeartbeatReceived: () => {
    if (!got.beatIn.done) {
      got.beatIn.done = true;
      out("heartbeat");
      got.beatIn.resolve();
    }
  },
  onStompError: (frame) => fail(`ERROR ${frame.headers.message}`),
  onWebSocketError: (e) => fail(`websocket error ${e.message ?? e}`),
});

client.activate();
await got.connected;
client.watchForReceipt("sub-0-receipt", (f) => {
  out(`receipt ${f.headers["receipt-id"]}`);
  got.subReceipt.resolve();
});
client.subscribe(
  "/queue/test",
  (m) => {
    const body = m.isBinaryBody ? Buffer.from(m.binaryBody).toString() : m.body;
    out(`message ${m.headers.destination} content-length=${m.headers["content-length"] ?? "-"} ${JSON.stringify(body)}`);
    (body.startsWith("two") ? got.two : got.hello).resolve();
  },
  { id: "sub-0", receipt: "sub-0-receipt" },
);
await got.subReceipt;
client.publish({ destination: "/queue/test", body: "hello", headers: { "content-type": "text/plain" },
  skipContentLengthHeader: true });
await got.hello;
client.publish({ destination: "/queue/test", binaryBody: new TextEncoder().encode("two\0parts") });
await got.two;
await got.beatIn;
await got.beatOut;
client.onWebSocketClose = (e) => out(`closed ${e.code}`);
await client.deactivate();
out("disconnected");
process.exit(0);
