/** Builds a capability's output from its input by fixed rules: same input, same output. */
export type Composer = (input: unknown) => unknown;
