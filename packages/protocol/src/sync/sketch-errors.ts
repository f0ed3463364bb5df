/** Stable codes of {@link SketchError}. */
export type SketchErrorCode =
  /** Cells or short ids that do not parse, or arrive out of order. */
  | 'ERR_SKETCH_MALFORMED'
  /** More cells than the decoder accepts: the difference is too large for a sketch; fall back to ranges. */
  | 'ERR_SKETCH_TOO_LARGE'
  /** Cells that no honest encoder of any set produces (a symbol peeled twice, or contradicting the local set). */
  | 'ERR_SKETCH_INCONSISTENT'

/**
 * Thrown by sketch reconciliation (./riblt.ts, ./sketch.ts) on input a peer should not have sent; carries a stable `code`.
 *
 * @example
 * ```ts
 * try { decoder.add(block) } catch (err) {
 *   if (err instanceof Error && err.name === 'SketchError') console.log((err as SketchError).code)
 * }
 * ```
 */
export class SketchError extends Error {
  static override readonly name = 'SketchError'
  override readonly name = 'SketchError'
  readonly code: SketchErrorCode

  constructor (code: SketchErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
