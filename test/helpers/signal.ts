/** Lets test helpers wait, with a time limit, until something they watch has changed. */
export class Signal {
  private waiters: (() => void)[] = [];

  /** Resolves at the next `notify()`, or after `ms` milliseconds. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
