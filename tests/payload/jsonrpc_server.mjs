// JSON-RPC 2.0 over WebSocket server (rpc-websockets).
//
//   node jsonrpc_server.mjs     (prints its port, then serves until SIGTERM
//                                or until its stdin, when a pipe, closes)
//
// Methods: sum(params) adds the numbers; fail() answers the error
// {code: -32001, message: "always fails", data: {why: "asked"}}; log(params)
// (meant as a notification) sends the caller the standard JSON-RPC
// notification {"jsonrpc":"2.0","method":"logged","params":...}; fire() emits
// the event "tick" to its subscribers (rpc-websockets' own frame
// {"notification":"tick","params":[1]}) before answering true.
import { fstatSync } from "node:fs";
import { Server } from "rpc-websockets";

const server = new Server({ host: "127.0.0.1", port: 0 });
server.register("sum", (params) => params.reduce((a, b) => a + b, 0));
server.register("fail", () => {
  throw server.createError(-32001, "always fails", { why: "asked" });
});
server.register("log", (params, socketId) => {
  const socket = server.namespaces["/"].clients.get(socketId);
  socket?.send(JSON.stringify({ jsonrpc: "2.0", method: "logged", params }));
});
server.event("tick");
server.register("fire", () => {
  server.emit("tick", 1);
  return true;
});
server.on("listening", () => console.log(String(server.wss.address().port)));

const stop = () => {
  for (const c of server.wss.clients) c.terminate();
  server.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
let st;
try {
  st = fstatSync(0);
} catch {}
if (st && (st.isFIFO() || st.isSocket())) {
  process.stdin.on("end", stop).on("error", stop).resume();
}
