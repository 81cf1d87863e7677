/**
 * The simulator's replicated state machine: a string map. Commands arrive as
 * log entry data (JSON); the state can be snapshotted and restored.
 */

/** A command carried in a log entry. `id` ties it to the client request. */
export type KvCommand = { id: string; op: 'put'; key: string; value: string } | { id: string; op: 'delete'; key: string };

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeCommand(c: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(dec.decode(data)) as KvCommand;
}

/**
 * A key-value map with snapshot and restore. Commands are applied at most
 * once by id (the client-session rule of the Raft thesis §6.3): a proposal
 * forwarded twice by a duplicating network lands twice in the log.
 */
export class KvStateMachine {
  private map = new Map<string, string>();
  private seen = new Set<string>();

  /** Applies a command; false if its id was applied before. */
  apply(c: KvCommand): boolean {
    if (this.seen.has(c.id)) return false;
    this.seen.add(c.id);
    if (c.op === 'put') this.map.set(c.key, c.value);
    else this.map.delete(c.key);
    return true;
  }

  get(key: string): string | null {
    return this.map.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify({ map: [...this.map], seen: [...this.seen] }));
  }

  restore(data: Uint8Array): void {
    if (data.length === 0) {
      this.map = new Map();
      this.seen = new Set();
      return;
    }
    const s = JSON.parse(dec.decode(data)) as { map: [string, string][]; seen: string[] };
    this.map = new Map(s.map);
    this.seen = new Set(s.seen);
  }
}
