// An echo server on Node's `ws` (8.23.0, the one tests/browser pins in its
// package-lock.json), with ws's default server options (perMessageDeflate
// off, maxPayload 100 MiB): every text and binary message is sent back with
// its type; pings, closes and protocol errors are left to ws.
//
//     (cd tests/browser && npm ci --no-audit --no-fund)   # once, for ws
//     node tests/peers/echo_node.mjs PORT                  # listens on 127.0.0.1:PORT
//
// Prints nothing but errors (on stderr): a connection's error (ws has then
// closed or dropped that connection) and a failure to listen (exit 1).
import { createRequire } from 'node:module';

const require = createRequire(new URL('../browser/package.json', import.meta.url));
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error('usage: node echo_node.mjs PORT');
  process.exit(2);
}

const wss = new WebSocketServer({ host: '127.0.0.1', port });
wss.on('error', (err) => {
  console.error(`echo_node: ${err.message}`);
  process.exit(1);
});
wss.on('connection', (ws) => {
  // Without a listener, an 'error' event would end the whole process.
  ws.on('error', (err) => console.error(`echo_node: connection error: ${err.message}`));
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
