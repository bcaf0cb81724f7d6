/*
 * The dashboard on a board: http://<board>/ serves the page
 * (examples/dashboard/index.html, kept in Storage as "dashboard.html") and
 * its WebSocket on the same port. Every second every page gets the board's
 * readings: uptime, a counter, free memory (blocks) and the chip's
 * temperature; a page can switch the board's LED (LED1), and echo text, JSON
 * and binary. It is examples/dashboard/node.js, on a board.
 *
 * Upload (README, "A board in five minutes"): the module and the page into
 * Storage, then this app, with your WiFi network given on the command line
 * (or in WIFI_SSID and WIFI_PASSWORD), never written into this file:
 *   node flash-scripts/install-storage.js --port /dev/ttyUSB0 --file dashboard.html:examples/dashboard/index.html
 *   node flash-scripts/upload.js --port /dev/ttyUSB0 --module-in-storage --save \
 *     --app examples/espruino/dashboard.js --wifi-ssid MyNetwork --wifi-password secret
 *
 * Networks: ESP32, ESP8266 and Espruino WiFi join WiFi with the "Wifi"
 * module; a Pico talks to an ESP8266 with AT firmware on Serial2 (its
 * "ESP8266WiFi_0v25" module), which gives it one server: this one. An empty
 * SSID means the network is up already (a board on Ethernet, or the Linux
 * build of Espruino).
 *
 * ES5 only: the Espruino interpreter runs this text as it is.
 */
var SSID = 'YOUR_WIFI_SSID';
var PASSWORD = 'YOUR_WIFI_PASSWORD';
var PORT = 80;

function start() {
  var ws = require('web-socket-server'), started = getTime(), counter = 0, led = false;
  var server = new ws.Server({ port: PORT });
  var page = require('Storage').read('dashboard.html');
  function light(on) {
    led = on;
    if (typeof LED1 != 'undefined') digitalWrite(LED1, on);
    server.broadcast({ t: 'led', on: on });
  }
  server.on('request', function (req, res) {
    if (req.path.split('?')[0] != '/') {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('not found\n');
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    // A file from Storage goes out from flash, piece by piece.
    res.end(page || '<p>Put examples/dashboard/index.html into Storage as dashboard.html.');
  });
  server.on('connection', function (socket) {
    socket.send({ t: 'led', on: led });
    server.broadcast({ t: 'clients', n: server.sockets.length });
    socket.on('message', function (m, isBinary) {
      if (isBinary) socket.send(m);
      else if (m && m.cmd == 'led') light(!!m.on);
      else socket.send({ t: 'echo', kind: typeof m == 'string' ? 'text' : 'json', value: m });
    });
    socket.on('close', function () {
      server.broadcast({ t: 'clients', n: server.sockets.length });
    });
  });
  setInterval(function () {
    // (A board without a temperature sensor, such as the Linux build, says 0.)
    var temp = typeof E.getTemperature == 'function' ? E.getTemperature() : 0;
    server.broadcast({
      t: 'r',
      up: Math.round(getTime() - started),
      n: ++counter,
      mem: process.memory(false).free + ' blocks',
      temp: isFinite(temp) ? temp : 0
    });
  }, 1000);
  server.on('listening', function (port) {
    print('dashboard on port ' + port);
  });
  server.start();
}

function joined(err, ip) {
  if (err) return print('WiFi: ' + err);
  print('WiFi up: open http://' + ip + '/');
  start();
}

if (!SSID) start();
else if (process.env.BOARD == 'PICO_R1_3') {
  // An ESP8266 with AT firmware on Serial2 (A2, A3), as on the Pico's shim.
  Serial2.setup(115200, { rx: A3, tx: A2 });
  var at = require('ESP8266WiFi_0v25').connect(Serial2, function (err) {
    if (err) return joined(err);
    at.connect(SSID, PASSWORD, function (e) {
      if (e) return joined(e);
      at.getIP(joined);
    });
  });
} else {
  var wifi = require('Wifi');
  // The Telnet console takes a socket or two on ESP32/ESP8266.
  try {
    if (E.getConsole() != 'Telnet') require('TelnetServer').setOptions({ mode: 'off' });
  } catch (e) {}
  wifi.connect(SSID, { password: PASSWORD }, function (err) {
    if (err) return joined(err);
    wifi.getIP(function (e, info) {
      joined(e, info && info.ip);
    });
  });
}
