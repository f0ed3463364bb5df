/**
 * @packageDocumentation
 *
 * `@murmur/cli` is the `murmur` command: a daemon with a local control API, commands that talk to
 * it, and an interactive chat. Its pieces are exported for programs that want to drive a daemon.
 *
 * @example
 * ```ts
 * import { ControlClient, resolveDataDir } from '@murmur/cli'
 *
 * const client = await ControlClient.connect(resolveDataDir())
 * const { id } = await client.post({ channel: '#lobby', body: 'hello' })
 * ```
 */
export { ControlClient } from './client.js'
export type { PostingOptions, EventsOptions } from './client.js'
export type * from './api-types.js'
export { createControlServer } from './daemon/server.js'
export type { ControlServer, ControlServerInit } from './daemon/server.js'
export { startRuntime } from './daemon/runtime.js'
export type { Runtime, RuntimeInit } from './daemon/runtime.js'
export { LocalRendezvous } from './daemon/rendezvous.js'
export type { LocalRendezvousInit } from './daemon/rendezvous.js'
export { readApiFile, apiFilePath } from './daemon/api-file.js'
export type { ApiAddress, ApiEndpoint } from './daemon/api-file.js'
export { loadIdentity, loadOrCreateIdentity, identityPath } from './identity.js'
export type { Identity } from './identity.js'
export { resolveDataDir, rendezvousDir } from './paths.js'
export { createProgram, run } from './program.js'
export * from './errors.js'
export { EXIT } from './constants.js'
