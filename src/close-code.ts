// Close status codes (RFC 6455 section 7.4 and the IANA registry).

/** May this code appear in a close frame on the wire? */
export function isWireCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** May an application pass this code to close()? 1000 or 3000-4999. */
export function isAppCloseCode(code: number): boolean {
  return code == 1000 || (code >= 3000 && code <= 4999);
}

/** The longest close reason in bytes: 125 minus the 2-byte code. */
export var MAX_REASON = 123;
