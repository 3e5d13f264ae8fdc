/**
 * One deadline with one timer: setting a later deadline leaves the timer alone (it re-checks when
 * it fires), and only a sooner one moves it, so a busy connection does not churn timers.
 * @module
 */
export class Deadline {
  private at = 0; // 0: none
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = 0;

  /** `expired` runs when the deadline passes; while `postpone()` is true it waits a little more. */
  constructor(
    private readonly expired: () => void,
    private readonly postpone: () => boolean,
  ) {}

  get armed(): boolean {
    return this.at !== 0;
  }

  /** Sets the deadline, in `Date.now()` milliseconds. */
  set(at: number): void {
    this.at = at;
    if (this.timer === undefined || at < this.timerAt) {
      clearTimeout(this.timer);
      this.schedule();
    }
  }

  /** No deadline until the next `set()`; a pending timer finds nothing to do. */
  clear(): void {
    this.at = 0;
  }

  stop(): void {
    this.at = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timerAt = this.at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.at - Date.now()) + 5);
    this.timer.unref?.();
  }

  private fire(): void {
    this.timer = undefined;
    if (this.at === 0) return;
    if (Date.now() < this.at || this.postpone()) return this.schedule();
    this.at = 0;
    this.expired();
  }
}
