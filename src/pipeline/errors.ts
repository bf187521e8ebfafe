// Errors carry a stable code, whether the condition is recoverable, and their cause (STYLE.md rule 8).
// Expected conditions (a malformed record, a 429) are values, not exceptions; this class is for the rest.

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'INPUT_IO'
  | 'REGISTRY_CORRUPT'
  | 'OUTPUT_UNAVAILABLE'
  | 'OUTPUT_REJECTED'
  | 'RULES_INVALID'
  | 'SETUP_FAILED'
  | 'INTERNAL';

export class CasguardError extends Error {
  readonly code: ErrorCode;
  readonly recoverable: boolean;

  constructor(code: ErrorCode, message: string, options: { recoverable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CasguardError';
    this.code = code;
    this.recoverable = options.recoverable ?? false;
  }
}

/** A short, secret-free description of any thrown value. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
