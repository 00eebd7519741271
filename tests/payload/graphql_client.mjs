// GraphQL over WebSocket client: graphql-ws's createClient with ws as its
// WebSocket (subprotocol graphql-transport-ws).
//
//   node graphql_client.mjs ws://127.0.0.1:PORT/
//
// Runs `query Hello { hello }`, then `subscription Count { countdown(from: 3) }`
// (next 3, 2, 1, 0 then complete), then `query Bad { nope }` (an error
// message), all on one connection, waits for the pong of a keep-alive ping
// (sent every 200 ms), and disposes (close 1000).
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const url = process.argv[2];
if (!url) {
  console.error("usage: node graphql_client.mjs ws://HOST:PORT/");
  process.exit(2);
}
const fail = (why) => {
  console.error(`graphql_client.mjs: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 10000).unref();
const out = (line) => console.log(line);

let ponged;
const pong = new Promise((r) => (ponged = r));
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false, // one connection for the whole conversation
  onNonLazyError: () => {}, // (default: console.error) the operations fail too
  retryAttempts: 0,
  keepAlive: 200,
  on: {
    connected: () => out("connected"),
    pong: (received) => received && ponged(),
    closed: (e) => out(`closed ${e?.code ?? ""}`.trim()),
  },
});

try {
  for await (const r of client.iterate({ query: "query Hello { hello }", operationName: "Hello" })) {
    out(`hello ${r.data.hello}`);
  }
  for await (const r of client.iterate({
    query: "subscription Count { countdown(from: 3) }",
    operationName: "Count",
  })) {
    out(`next ${r.data.countdown}`);
  }
  out("complete");
  try {
    for await (const r of client.iterate({ query: "query Bad { nope }", operationName: "Bad" })) {
      fail(`Bad answered ${JSON.stringify(r)}`);
    }
    fail("Bad did not fail");
  } catch (e) {
    const errors = Array.isArray(e) ? e : [e];
    out(`error ${errors.map((x) => x.message).join("; ")}`);
  }
  await pong;
  out("pong");
  await client.dispose();
  out("done");
  process.exit(0);
} catch (e) {
  // graphql-ws rejects with an Error, a ws ErrorEvent or a CloseEvent
  fail(e?.message || (e?.code ? `closed ${e.code} ${e.reason ?? ""}` : JSON.stringify(e)));
}
