// The module surface, and what the targets need of the core. Each target
// fills in `host`, then re-exports Server and the type lists.
export { Server, ServerOptions } from './server';
export { Socket } from './socket';
export { supportedReceiveTypes, supportedSendTypes } from './message-types';
export { host, Host, Listener, NO_MEMORY, NATIVE_RUN, Board } from './host';
export { Limits } from './record';
export { receive } from './incoming/receive';
export { pull, Queue } from './outgoing/send-queue';
export { gone, lost } from './connection';
export { GUID } from './incoming/handshake';
