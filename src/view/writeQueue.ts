/** Runs tasks one after another in the order they were given: every write to a session's file goes through one. */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Starts `task` when every earlier one has finished (failed or not); resolves or rejects with its result. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
