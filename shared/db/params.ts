/** Binds a value as the next positional parameter of a statement being built, and returns its placeholder (`$n`). */
export type Bind = (value: unknown) => string;

/**
 * The parameters of one statement assembled from several modules' parts: each part binds its values
 * and writes the placeholders it gets back, so no part needs to know how many came before it.
 */
export function statementParams(): { params: unknown[]; bind: Bind } {
  const params: unknown[] = [];
  return { params, bind: (value) => `$${params.push(value)}` };
}
