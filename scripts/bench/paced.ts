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
  const spacing = 1000 / opts.rate;
  const latencies: number[] = [];
  const sendLags: number[] = [];
  let [ok, non2xx, errors, done] = [0, 0, 0, 0];
  const begin = performance.now() + 20;
  const finished = new Promise<void>((resolve) => {
    const settle = () => {
      done += 1;
      if (done === total) resolve();
    };
    const send = (due: number) => {
      sendLags.push(performance.now() - due);
      const body = opts.body();
      const request = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { ...opts.headers, 'content-length': Buffer.byteLength(body) } },
        (response) => {
          response.resume();
          response.on('end', () => {
            latencies.push(performance.now() - due);
            if (response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300) ok += 1;
            else non2xx += 1;
            settle();
          });
        },
      );
      request.on('error', () => {
        errors += 1;
        settle();
      });
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
