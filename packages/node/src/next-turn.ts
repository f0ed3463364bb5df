/**
 * Resolves after the current turn of the event loop and its microtasks: work started after it does not
 * delay what this turn began (a gossip verdict, a publication's bytes on their way to the socket), so
 * what a peer can time of that does not depend on the work that follows.
 *
 * @example
 * ```ts
 * await pubsub.publish(topic, envelope)
 * await nextTurn() // the bytes are handed to the connection first
 * await store.put(post)
 * ```
 */
export async function nextTurn (): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0))
}
