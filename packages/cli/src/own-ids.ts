/**
 * The ids of the user's own posts and replies that the daemon made since it started (`GET /v1/mine`,
 * daemon/own-routes.ts), for `murmur watch --mine` and the chat's notifications.
 */
import type { ControlClient } from './client.js'

/**
 * The daemon's own post and reply ids.
 *
 * @example
 * ```ts
 * const mine = new Set(await ownIds(client))
 * ```
 */
export async function ownIds (client: ControlClient): Promise<string[]> {
  // ControlClient's authenticated request is private there (as circle-client.ts reaches it): docs/API.md's routes are the contract
  return (await client['request']<{ ids: string[] }>('GET', '/mine')).ids
}
