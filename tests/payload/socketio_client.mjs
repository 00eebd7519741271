// Socket.IO client (socket.io-client for Node), WebSocket transport only:
// the conversation of socketio_client.py.
//
//   node socketio_client.mjs http://127.0.0.1:PORT
import { Manager } from "socket.io-client";

const url = (process.argv[2] ?? "").replace(/^ws(s?):/, "http$1:");
if (!url) {
  console.error("usage: node socketio_client.mjs http://HOST:PORT");
  process.exit(2);
}
const fail = (why) => {
  console.error(`socketio_client.mjs: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 10000).unref();
const out = (line) => console.log(line);
const once = (socket, event) =>
  new Promise((resolve, reject) => {
    socket.once(event, resolve);
    socket.once("connect_error", (e) => reject(new Error(`connect_error: ${e.message}`)));
  });

const manager = new Manager(url, { transports: ["websocket"], reconnection: false });
const root = manager.socket("/");
const chat = manager.socket("/chat");
try {
  await once(root, "connect");
  out("connected /");
  await once(chat, "connect");
  out("connected /chat");
  const reply = once(chat, "reply");
  chat.emit("chat", { text: "hello", n: 1 });
  const r = await reply;
  out(`reply ${r.echo} from ${r.from}`);
  out(`ack add ${await root.timeout(5000).emitWithAck("add", 2, 3)}`);
  const download = once(root, "download");
  const size = await root.timeout(5000).emitWithAck("upload", {
    name: "blob",
    data: Buffer.from([0x00, 0x01, 0x02, 0xff]),
  });
  const d = await download;
  out(`download ${d.name} ${Buffer.from(d.data).toString("hex")}`);
  out(`ack upload ${size}`);
  await new Promise((r) => setTimeout(r, 1500));
  const closed = new Promise((resolve) => manager.engine.once("close", resolve));
  chat.disconnect();
  root.disconnect();
  await closed;
  out("disconnected");
  out("done");
  process.exit(0);
} catch (e) {
  fail(e.message);
}
