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
export type { Stem, StemComponents, StemEvents, StemInit, StemLibp2p, StemValidator, StemVerdict } from './transport.js'
export { StemRouter } from './router.js'
export { systemClock } from './clock.js'
export type { StemClock } from './clock.js'
export type { FluffReason, StemEvent, StemRouterComponents, StemRouterInit } from './types.js'
export { embargoMean, exponential, EMBARGO_MEAN } from './embargo.js'
export { decodeStemFrame, encodeStemFrame } from './frame.js'
export type { StemFrame } from './frame.js'
export { InvalidStemFrameError, NoStemRouteError, StemStoppedError } from './errors.js'
export * from './constants.js'
