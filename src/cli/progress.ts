// Progress of a long `oem` command on stderr (stdout carries only the JSON result): on a terminal
// one bar redrawn in place, elsewhere (a log, CI, a pipe) a plain line every ~10%, so that a log
// file gets a dozen readable lines rather than thousands of carriage returns.

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export type Progress = (unit: string, done: number, total: number) => void;

/** Redraws of the bar at most this often: a terminal drawing thousands of frames slows the command. */
const REDRAW_MS = 100;

export function progressReporter(stream: ProgressStream, now: () => number = () => performance.now()): Progress {
  let unit = '';
  let started = 0;
  let lastDecile = 0;
  let lastDraw = -Infinity;
  return (u, done, total) => {
    if (u !== unit) {
      // A new phase (keysets, then customers): its own rate and its own bar.
      unit = u;
      started = now();
      lastDecile = 0;
      lastDraw = -Infinity;
    }
    const t = now();
    const rate = Math.round((done * 1000) / Math.max(1, t - started));
    const pct = total > 0 ? Math.floor((done * 100) / total) : 100;
    const finished = done >= total;
    if (stream.isTTY) {
      if (!finished && t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 60));
      const filled = Math.round((width * pct) / 100);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      // \r and erase-line redraw in place; the finished bar stays, ended by a newline.
      stream.write(`\r\x1b[2Kseed: ${bar} ${String(pct).padStart(3)}% ${done}/${total} ${unit}, ${rate}/s${finished ? '\n' : ''}`);
      return;
    }
    const decile = finished ? 10 : Math.floor((done * 10) / total);
    if (decile <= lastDecile) return;
    lastDecile = decile;
    stream.write(`seed: ${done}/${total} ${unit} (${pct}%), ${rate}/s\n`);
  };
}
