// JSON-RPC 2.0 over WebSocket client (rpc-websockets).
//
//   node jsonrpc_client.mjs ws://127.0.0.1:PORT/
//
// Calls sum [2, 3] (result 5), fail (error -32001), nope (error -32601,
// Method not found); sends the notification log {"text":"hi"} and waits for
// the server's notification "logged"; subscribes to the event "tick"
// (rpc.on), calls fire and receives the event; closes with 1000.
import { Client } from "rpc-websockets";

const url = process.argv[2];
if (!url) {
  console.error("usage: node jsonrpc_client.mjs ws://HOST:PORT/");
  process.exit(2);
}
const fail = (why) => {
  console.error(`jsonrpc_client.mjs: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 10000).unref();
const out = (line) => console.log(line);
const T = 5000;
const error = async (p) => {
  try {
    return `result ${JSON.stringify(await p)}`;
  } catch (e) {
    return `error ${e.code} ${e.message}`;
  }
};

const ws = new Client(url, { autoconnect: true, reconnect: false });
ws.on("error", (e) => fail(`socket error: ${e.message ?? e}`));
try {
  await new Promise((resolve) => ws.once("open", resolve));
  out("open");
  out(`sum ${await ws.call("sum", [2, 3], T)}`);
  out(`fail ${await error(ws.call("fail", undefined, T))}`);
  out(`nope ${await error(ws.call("nope", undefined, T))}`);
  const logged = new Promise((resolve) => ws.once("logged", resolve));
  await ws.notify("log", { text: "hi" });
  out(`logged ${JSON.stringify(await logged)}`);
  out(`subscribe ${JSON.stringify(await ws.subscribe("tick"))}`);
  const tick = new Promise((resolve) => ws.once("tick", resolve));
  const fired = await ws.call("fire", undefined, T);
  out(`tick ${await tick}`);
  out(`fire ${fired}`);
  const closed = new Promise((resolve) => ws.once("close", resolve));
  ws.close(1000, "bye");
  out(`closed ${await closed}`);
  out("done");
  process.exit(0);
} catch (e) {
  fail(e.message ?? JSON.stringify(e));
}
