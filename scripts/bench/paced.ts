import http from 'node:http';
import { round, summarize } from './stats.js';

// An open-loop load at an even rate: request i is due at start + i / rate, whatever happened to the ones
// before it, and its latency runs from when it was DUE, not from when it went out, so a client or server
// that falls behind shows up in the figures (no coordinated omission, as in wrk2).
//
// autocannon's `overallRate` is not this: each connection sends its share of the second back to back as
// soon as the second starts and then waits for the next, so "500/s" is a burst of 500 requests at full
// speed every second, and its latencies are those of the burst.

export type PacedOptions = {
  url: string;
  rate: number;
  seconds: number;
  headers: Record<string, string>;
  body: () => string;
  /** Sockets kept open to the server; a request finding all busy waits (and that wait counts). */
  maxSockets?: number;
  /** A request without an answer by then counts as an error. Default 10 s. */
  timeoutMs?: number;
};

export type PacedResult = {
  leadsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  ok: number;
  non2xx: number;
  errors: number;
  /** How late the client itself sent requests: large values mean this machine, not the server, lagged. */
  sendLagMsP99: number;
};

/** Sends `rate * seconds` POSTs to `url`, evenly spaced, and reports latency from each request's due time. */
export async function pacedLoad(opts: PacedOptions): Promise<PacedResult> {
  const target = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
  const total = Math.round(opts.rate * opts.seconds);
  if (total < 1) throw new Error('pacedLoad: rate * seconds must be at least one request');
  const spacing = 1000 / opts.rate;
  const latencies: number[] = [];
  const sendLags: number[] = [];
  let [ok, non2xx, errors, done] = [0, 0, 0, 0];
  const begin = performance.now() + 20;
  const finished = new Promise<void>((resolve) => {
    // Each request settles once, whichever of answer, error or timeout comes first.
    const settleOnce = () => {
      let settled = false;
      return (outcome: 'ok' | 'non2xx' | 'error', due: number) => {
        if (settled) return;
        settled = true;
        if (outcome === 'error') errors += 1;
        else {
          latencies.push(performance.now() - due);
          if (outcome === 'ok') ok += 1;
          else non2xx += 1;
        }
        done += 1;
        if (done === total) resolve();
      };
    };
    const send = (due: number) => {
      sendLags.push(performance.now() - due);
      const body = opts.body();
      const settle = settleOnce();
      const request = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, timeout: opts.timeoutMs ?? 10_000, headers: { ...opts.headers, 'content-length': Buffer.byteLength(body) } },
        (response) => {
          response.resume();
          const status = response.statusCode ?? 0;
          response.on('end', () => settle(status >= 200 && status < 300 ? 'ok' : 'non2xx', due));
          response.on('aborted', () => settle('error', due));
          response.on('error', () => settle('error', due));
        },
      );
      request.on('timeout', () => request.destroy(new Error('timed out')));
      request.on('error', () => settle('error', due));
      request.end(body);
    };
    let next = 0;
    const tick = () => {
      const now = performance.now();
      for (; next < total && begin + next * spacing <= now; next++) send(begin + next * spacing);
      if (next < total) setTimeout(tick, Math.max(0, begin + next * spacing - performance.now()));
    };
    setTimeout(tick, Math.max(0, begin - performance.now()));
  });
  await finished;
  const elapsedSeconds = (performance.now() - begin) / 1000;
  agent.destroy();
  const { p50, p90, p99, max } = summarize(latencies);
  return { leadsPerSec: round(ok / elapsedSeconds, 0), latencyMs: { p50, p90, p99, max }, ok, non2xx, errors, sendLagMsP99: summarize(sendLags).p99 };
}
