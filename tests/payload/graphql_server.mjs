// GraphQL over WebSocket server: graphql-ws's useServer on a ws
// WebSocketServer (subprotocol graphql-transport-ws).
//
//   node graphql_server.mjs     (prints its port, then serves until SIGTERM
//                                or until its stdin, when a pipe, closes)
//
// Query { hello: "world" }; Subscription countdown(from: Int!) yields
// from, from-1, ..., 0, 50 ms apart.
import { fstatSync } from "node:fs";
import {
  GraphQLInt,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
} from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: "Query",
    fields: { hello: { type: GraphQLString, resolve: () => "world" } },
  }),
  subscription: new GraphQLObjectType({
    name: "Subscription",
    fields: {
      countdown: {
        type: GraphQLInt,
        args: { from: { type: new GraphQLNonNull(GraphQLInt) } },
        subscribe: async function* (_root, { from }) {
          for (let n = from; n >= 0; n--) {
            yield { countdown: n };
            await new Promise((r) => setTimeout(r, 50));
          }
        },
      },
    },
  }),
});

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
useServer({ schema }, wss);
wss.on("listening", () => console.log(String(wss.address().port)));

const stop = () => {
  for (const c of wss.clients) c.terminate();
  wss.close(() => process.exit(0));
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
