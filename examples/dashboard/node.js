// The dashboard device app on Node (`npm start`): one port serves the page
// (index.html) and its WebSocket. Every second it pushes readings (uptime, a
// counter, free memory and a simulated temperature) to every page with
// broadcast(); a page can switch a virtual LED, which every page then shows,
// and echo text, JSON and binary. examples/espruino/dashboard.js is the same
// app on a board, with real readings.
//
//   node examples/dashboard/node.js [--port 8080] [--host 127.0.0.1]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { parseArgs } = require('util');
const { Server } = require('../..');

const args = parseArgs({
  options: { port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' } }
}).values;
const page = fs.readFileSync(path.join(__dirname, 'index.html'));
const started = Date.now();
let counter = 0, led = false;

const server = new Server({ port: args.port, hostInterface: args.host });

server.on('request', (req, res) => {
  if (req.path.split('?')[0] === '/') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(page);
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
  }
});

server.on('connection', (socket) => {
  const who = socket.request.headers['user-agent'] || 'a client';
  console.log('connected: ' + who.slice(0, 60) + ' (' + server.sockets.length + ' open)');
  socket.send({ t: 'led', on: led });
  server.broadcast({ t: 'clients', n: server.sockets.length });
  socket.on('message', (m, isBinary) => {
    if (isBinary) socket.send(m);
    else if (m && m.cmd === 'led') {
      led = !!m.on;
      server.broadcast({ t: 'led', on: led });
    } else socket.send({ t: 'echo', kind: typeof m === 'string' ? 'text' : 'json', value: m });
  });
  socket.on('close', (code) => {
    console.log('disconnected (' + code + ', ' + server.sockets.length + ' open)');
    server.broadcast({ t: 'clients', n: server.sockets.length });
  });
});

setInterval(() => {
  const up = Math.round((Date.now() - started) / 1000);
  server.broadcast({ t: 'r', up, n: ++counter, mem: Math.round(os.freemem() / 1048576) + ' MB', temp: 21 + 3 * Math.sin(up / 20) + Math.random() * 0.4 });
}, 1000);

server.on('listening', (port) => console.log('dashboard: open http://' + args.host + ':' + port + '/'));
server.on('error', (e) => {
  console.error('dashboard: ' + e.message);
  process.exit(1);
});
server.start();
process.on('SIGINT', () => {
  server.stop();
  process.exit(0);
});
process.on('SIGTERM', () => {
  server.stop();
  process.exit(0);
});
