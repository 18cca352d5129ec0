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

/**
 * A statement's name when it is to be prepared (merged into the query config): each pooled connection then
 * parses it once, and Postgres plans it once it settles on a generic plan, instead of at every run. Only
 * where each connection is a session of its own (Database.sessionPerConnection): the embedded database's
 * connections share one session, and so one namespace of statement names. A name is bound to its text for
 * the session: bump its suffix whenever the text changes.
 */
export function preparedAs(prepared: boolean | undefined, name: string): { name?: string } {
  return prepared ? { name } : {};
}
