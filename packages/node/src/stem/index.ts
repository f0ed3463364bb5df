/**
 * Origin hiding with a Dandelion++ stem: the routing state machine, its wire adapter and parameters.
 *
 * @example
 * ```ts
 * import { createStem } from './stem/index.js'
 *
 * const stem = createStem({ libp2p, validate, penalize, fluff })
 * await stem.start()
 * ```
 */
export { createStem } from './transport.js'
export type { Stem, StemComponents, StemInit } from './transport.js'
export { StemRouter } from './router.js'
export type { StemClock } from './clock.js'
export type { StemEvent, StemRouterInit } from './types.js'
export { decodeStemFrame, encodeStemFrame } from './frame.js'
export { InvalidStemFrameError, NoStemRouteError, StemStoppedError } from './errors.js'
export * from './constants.js'
