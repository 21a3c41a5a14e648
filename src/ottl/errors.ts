// OTTL's two kinds of failure: a statement refused at load (it does not parse, names an
// unknown function or path, has an argument of the wrong type), and one item failing at run time.

/** A statement refused at load: the column (1-based) in the statement and, where we know one, a fix. */
export class OttlSyntaxError extends Error {
  override readonly name = 'OttlSyntaxError';
  constructor(
    message: string,
    readonly column: number,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** One item on which a statement failed at run time (handled by error_mode). */
export class OttlRuntimeError extends Error {
  override readonly name = 'OttlRuntimeError';
}
