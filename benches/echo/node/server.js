// Echo server on ws (pinned in package-lock.json), a peer for benches/echo.sh
// and benches/idle.sh. Usage: node server.js PORT (binds 127.0.0.1).
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2]), perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
