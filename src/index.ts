// The shared module surface; each target re-exports it after useHost().
export { Server, ServerOptions, useHost } from './server';
export { Socket } from './socket';
export { supportedReceiveTypes, supportedSendTypes } from './message-types';
export { Host, Link, Listener, Limits } from './host';
