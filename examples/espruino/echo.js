/*
 * WebSocket echo server for Espruino (ESP32 / ESP8266).
 *
 * Connects to WiFi, then starts a WebSocket server on port 8080 that sends
 * every text message straight back to the client that sent it.
 *
 * Upload it together with the module (see flash-scripts/upload.js):
 *   node flash-scripts/upload.js --port /dev/ttyUSB0
 * or, once the module is in Storage (flash-scripts/install-storage.js):
 *   node flash-scripts/upload.js --port /dev/ttyUSB0 --module-in-storage
 *
 * Then try it from a PC on the same network, e.g. with Node's `ws` package:
 *   new (require('ws'))('ws://<board IP>:8080').on('message', console.log)
 * or from a browser: open examples/browser/echo.html from disk.
 *
 * ES5 only (no arrow functions, let/const or default parameters): this text
 * is run by the Espruino interpreter as it is.
 */

// Your WiFi network. These are placeholders: replace them before uploading.
var SSID = 'YOUR_WIFI_SSID';
var PASSWORD = 'YOUR_WIFI_PASSWORD';

// Port the WebSocket server listens on.
var PORT = 8080;

// The Telnet console server (port 23) uses one of the ~10 sockets of an
// ESP32/ESP8266 (two while a client is connected). Turning it off leaves more
// for WebSocket clients. It is left on while the code is being uploaded over
// Telnet (espruino -p tcp://...), because turning it off would cut that upload.
// NOTE: with this set, a board that runs this code at boot (upload.js --save)
// cannot be reached over Telnet any more; use the serial port, or set false.
var DISABLE_TELNET = true;

function disableTelnet() {
  if (!DISABLE_TELNET) return;
  try {
    if (typeof E.getConsole === 'function' && E.getConsole() === 'Telnet') {
      print('Telnet console in use: leaving the Telnet server on');
      return;
    }
    require('TelnetServer').setOptions({ mode: 'off' });
  } catch (e) {
    // No TelnetServer module on this board: nothing to free.
  }
}

function printIP(wifi) {
  try {
    wifi.getIP(function (err, info) {
      if (info && info.ip) print('IP: ' + info.ip);
      else print('IP: unknown (' + err + ')');
    });
  } catch (e) {
    print('IP: unknown (' + e + ')');
  }
}

function startServer() {
  var WS = require('web-socket-server');
  var server = new WS.Server({
    port: PORT,
    receiveType: 'text/plain',
    sendType: 'text/plain'
  });
  server.on('listening', function (port) {
    print('listening on port ' + port);
  });
  server.on('error', function (e) {
    print('server error: ' + e);
  });
  server.on('connection', function (socket) {
    socket.on('message', function (m) {
      socket.send(m);
    });
    socket.on('error', function (e) {
      print('socket error: ' + e);
    });
  });
  server.start();
  return server;
}

var wifi = require('Wifi');
disableTelnet();
print('Connecting to WiFi "' + SSID + '"...');
wifi.connect(SSID, { password: PASSWORD }, function (err) {
  if (err) {
    print('WiFi connection failed: ' + err);
    return;
  }
  printIP(wifi);
  startServer();
});
