export { buildHttpApp, type HttpAppOptions } from './app.js';
export { buildServiceApp, type ServiceAppDeps } from './service-app.js';
export { toProblem, validationFieldErrors } from './error-handler.js';
export { PROBLEM_CONTENT_TYPE, problemBody, problemSchema, sendProblem, type FieldError, type ProblemSpec } from './problem.js';
export { annotateRequestLog, type LogFields } from './log-controller.js';
export type { ReadinessCheck } from './probes.js';
export { CORRELATION_ID_HEADER, REQUEST_ID_HEADER, correlationIdOf } from './request-context.js';
export type { HttpApp } from './types.js';
