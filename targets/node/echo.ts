// The conformance echo server: every text message goes back as text and
// every binary message as binary, byte for byte. It uses the public API only.
//
//   npm run echo -- --port 9001 [--host 127.0.0.1] [--max-payload BYTES]

import { parseArgs } from 'util';
import { Server } from './index';

var args = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    'max-payload': { type: 'string' }
  }
}).values;

function count(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  var n = Number(v);
  if (!(n >= 0) || Math.floor(n) !== n) {
    console.error('echo: --' + name + ' takes a whole number, not ' + JSON.stringify(v));
    process.exit(2);
  }
  return n;
}

var server = new Server({
  port: count('port', args.port),
  hostInterface: args.host,
  maxPayload: count('max-payload', args['max-payload']),
  receiveType: 'text/plain',
  sendType: 'text/plain'
});
server.on('listening', function (port: number) {
  console.log('echo server listening on ws://' + args.host + ':' + port + '/');
});
server.on('error', function (e: Error) {
  console.error('echo: ' + e.message);
  process.exit(1);
});
server.on('connection', function (socket: any) {
  socket.on('message', function (m: any) {
    socket.send(m);
  });
});
server.start();
process.on('SIGINT', function () {
  server.stop();
  process.exit(0);
});
