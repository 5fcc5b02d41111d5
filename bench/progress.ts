const out = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * The line that says what a running scenario is doing. On a terminal it is rewritten in place four
 * times a second; in a log (CI, a pipe) it is printed every ten seconds, so the log stays readable.
 */
export class Progress {
  private timer?: NodeJS.Timeout;
  private shown = false;
  private readonly tty = process.stdout.isTTY === true;

  start(render: () => string): void {
    this.stop();
    const started = performance.now();
    const line = () => `  … ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s  ${render()}`;
    if (this.tty) {
      this.timer = setInterval(() => {
        process.stdout.write(`\r\x1b[2K${line()}`);
        this.shown = true;
      }, 250);
    } else {
      this.timer = setInterval(() => out(line()), 10_000);
    }
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.shown) process.stdout.write('\r\x1b[2K');
    this.shown = false;
  }

  /** A line of its own, above the progress line. */
  say(line: string): void {
    if (this.shown) process.stdout.write('\r\x1b[2K');
    this.shown = false;
    out(line);
  }
}

export const progress = new Progress();
