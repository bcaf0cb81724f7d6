// A loopback port that was free a moment ago: listen on port 0, read the
// port, close. For targets that cannot listen on port 0 themselves (Espruino).
'use strict';
const net = require('net');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

module.exports = { freePort };
