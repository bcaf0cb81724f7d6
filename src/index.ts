// The shared module surface; each target re-exports it after useHost().
export { Server, ServerOptions, serverFailed } from './server';
export { Socket, flush, gone, outOfMemory } from './socket';
export { receive } from './protocol';
export { supportedReceiveTypes, supportedSendTypes } from './message-types';
export { Host, Listener, Limits, useHost } from './host';
