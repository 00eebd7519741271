// A client written elsewhere, Node's `ws`, for tests/capture_wireshark.rs:
// connects to the URL given, sends a text message, a binary one of 70,000
// bytes, a message in two fragments and a ping, then closes with 4001.
import WebSocket from "ws";

const ws = new WebSocket(process.argv[2], { perMessageDeflate: false });
const reply = () => new Promise((resolve) => ws.once("message", resolve));
ws.on("open", async () => {
  ws.send("hello from node");
  await reply();
  ws.send(Buffer.alloc(70000, 7));
  await reply();
  ws.send("frag", { fin: false });
  ws.send("mented by node", { fin: true });
  await reply();
  ws.ping("node ping");
  await new Promise((resolve) => setTimeout(resolve, 50));
  ws.close(4001, "node bye");
});
ws.on("close", () => process.exit(0));
ws.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
