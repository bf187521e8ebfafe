// Exit codes of every casguard command (documented in the README).
export const EXIT = {
  /** Success. */
  OK: 0,
  /** The configuration (or a rule file) is invalid; every problem was printed. */
  CONFIG_INVALID: 1,
  /** Wrong command line (unknown command or option, missing argument). */
  USAGE: 2,
  /** A runtime failure: the agent could not start, an output check failed, a fatal error. */
  FAILURE: 3,
  /** `replay` finished and everything is accounted for, but some records or documents were dead-lettered. */
  DEAD_LETTERS: 4,
  /**
   * `replay`: a named file is missing, unreadable, a folder, empty or not recognised, or a forced --format read
   * no record from it, or its reading stopped at an error (one thread or workers); the other files were read and shipped.
   */
  INPUT_PROBLEM: 5,
} as const;
