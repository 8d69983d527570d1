// The RuntimeError a runtime-pipeline call must throw, for tests that then check its code and message.
import { expect } from 'vitest';
import { RuntimeError } from '../../../scripts/pkg/runtime/errors.js';

/** The RuntimeError `run` throws; fails the test when it throws something else or nothing. */
export function failure(run: () => unknown): RuntimeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    return error as RuntimeError;
  }
  throw new Error('expected a RuntimeError');
}

/** The RuntimeError `promise` rejects with; fails the test when it rejects with something else or resolves. */
export async function rejection(promise: Promise<unknown>): Promise<RuntimeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RuntimeError);
  return error as RuntimeError;
}
