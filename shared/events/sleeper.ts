/** A wait that wake() can end early; its timer never keeps the process alive on its own. */
export class Sleeper {
  private pending: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  private woken = false;

  sleep(ms: number): Promise<void> {
    if (this.woken) {
      // A wake() that arrived while no one was waiting (during a round) still counts.
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finish(), ms);
      timer.unref();
      this.pending = { timer, resolve };
    });
  }

  wake(): void {
    if (this.pending) this.finish();
    else this.woken = true;
  }

  private finish(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    clearTimeout(pending.timer);
    pending.resolve();
  }
}
