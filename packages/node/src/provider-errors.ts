/**
 * The error a storer's GET_PROVIDERS answer gets (provider-answer.ts reads it, provider-lookup.ts asks):
 * logged and the answer left out, or the stream reset with it; never thrown out of a lookup.
 */

/** What was wrong with an answer. */
export type ProviderAnswerCode =
  /** Its framing does not parse (length prefix, a field's tag or length, a wire type with no length), or a field runs past the answer. */
  | 'ERR_ANSWER_MALFORMED'
  /** The stream ended before the answer did. */
  | 'ERR_ANSWER_ENDED'
  /** More than the bytes read: the stream is reset there (the records read before are kept). */
  | 'ERR_ANSWER_TOO_LONG'

/**
 * Thrown by `readAnswer` and `decodeAnswer` on an answer no honest storer sends, and the reason a cut
 * answer's stream is reset with. Match it on `name` and `code`.
 *
 * @example
 * ```ts
 * throw new ProviderAnswerError('ERR_ANSWER_ENDED', 'answer ended early')
 * ```
 */
export class ProviderAnswerError extends Error {
  static override readonly name = 'ProviderAnswerError'
  override readonly name = 'ProviderAnswerError'
  readonly code: ProviderAnswerCode

  constructor (code: ProviderAnswerCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}
