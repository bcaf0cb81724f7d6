// The few Espruino built-ins the target uses (see Espruino's reference).
declare var E: {
  /** Bytes (typed array, array, string...) to a byte String. */
  toString(...args: any[]): string;
  /** A byte String (or anything E.toString takes) to a new Uint8Array. */
  toUint8Array(...args: any[]): Uint8Array;
  /** An ArrayBuffer over a String's own bytes (no copy). */
  toArrayBuffer(s: string): ArrayBuffer;
};
declare function require(name: string): any;
declare function btoa(data: any): string;
declare function setTimeout(fn: Function, ms: number, ...args: any[]): any;
declare function clearTimeout(id: any): void;
declare var process: { env: { BOARD?: string }; memory(gc?: boolean): { free: number; total: number; usage: number; blocksize: number } };
declare var exports: any;
