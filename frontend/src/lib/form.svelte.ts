// One form's request: busy while it is in flight, then the error and the
// per-field messages when it fails. The inputs stay in the component.

import { toApiError, type ApiError } from './api';

export class FormState {
  busy = $state(false);
  error = $state<ApiError | null>(null);
  /** Per-field messages: the form's own checks, or the server's. */
  fields = $state<Record<string, string>>({});

  readonly #toError: (err: unknown) => ApiError;

  /** toError turns what a failed request threw into an ApiError (the console's also notices a lost session). */
  constructor(toError: (err: unknown) => ApiError = toApiError) {
    this.#toError = toError;
  }

  /**
   * Shows problems (the form's own checks) and, when there are none, runs
   * action with busy set; if it throws, shows its error and field messages.
   * Callers return early while busy. Resolves to whether action succeeded.
   */
  async submit(problems: Record<string, string>, action: () => Promise<void>): Promise<boolean> {
    this.error = null;
    this.fields = problems;
    if (Object.keys(problems).length > 0) return false;
    this.busy = true;
    try {
      await action();
      return true;
    } catch (err) {
      const e = this.#toError(err);
      this.error = e;
      this.fields = e.fields;
      return false;
    } finally {
      this.busy = false;
    }
  }
}
