/** A pending expiry; `cancel` it when the thing it guards finished in time. */
export interface Expiry {
  cancel(): void;
}

interface Node extends Expiry {
  readonly at: number;
  readonly fire: () => void;
  prev: Node | undefined;
  next: Node | undefined;
  live: boolean;
}

/**
 * Expiries of one fixed duration, checked by a single interval instead of one timer per
 * request. Every entry lives the same time, so insertion order is expiry order: entries sit
 * in a doubly-linked list, added at the tail and cancelled in O(1), and the interval only
 * ever looks at the head. The cost per request is one small object and two pointer updates.
 */
export class ExpiryQueue {
  private head: Node | undefined;
  private tail: Node | undefined;
  private size = 0;
  private readonly timer: NodeJS.Timeout;

  /**
   * @param durationMs how long each entry lives
   * @param resolutionMs how often the head is checked: an entry fires at most this late
   */
  constructor(
    readonly durationMs: number,
    resolutionMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.timer = setInterval(() => this.expire(), resolutionMs);
    this.timer.unref();
  }

  /** Calls `fire` once the duration has passed, unless cancelled first. */
  add(fire: () => void): Expiry {
    const node: Node = {
      at: this.now() + this.durationMs,
      fire,
      prev: this.tail,
      next: undefined,
      live: true,
      cancel: () => this.remove(node),
    };
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.size++;
    return node;
  }

  /** Entries still pending (for tests and metrics). */
  get pending(): number {
    return this.size;
  }

  /** Fires every entry whose time has come; exposed so tests need not wait for the interval. */
  expire(): void {
    const now = this.now();
    while (this.head && this.head.at <= now) {
      const node = this.head;
      this.remove(node);
      try {
        node.fire();
      } catch {
        // One failing callback must not stop the others from firing.
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private remove(node: Node): void {
    if (!node.live) return;
    node.live = false;
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = undefined;
    this.size--;
  }
}
