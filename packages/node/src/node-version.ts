/**
 * The Node.js version check of every entry point a user runs directly (`@murmur/node/node-version`):
 * libp2p and Murmur need Node.js 22 (`Promise.withResolvers`, `Uint8Array` and stream APIs that older
 * versions lack), and an older one fails deep inside libp2p with a message that names none of this.
 * It imports nothing, so an entry point checks before it loads anything that would crash.
 *
 * @example
 * ```ts
 * import { exitUnlessSupportedNode } from '@murmur/node/node-version'
 *
 * exitUnlessSupportedNode('`npm start` in this folder')
 * const { createMurmur } = await import('@murmur/node')
 * ```
 */

/** The oldest Node.js major version Murmur runs on (the packages' `engines.node`). */
export const MIN_NODE_MAJOR = 22

/**
 * The one line that says why `version` cannot run Murmur and what to do: install Node.js 22, or, from a
 * Murmur checkout, run this entry point the way `run` says (with the Node.js 22 that the checkout's
 * `npm` brings, e.g. "`npm run murmur -- …`"); undefined when `version` is new enough. Both, as an
 * installed `murmur` has no Murmur folder to run from.
 *
 * @example
 * ```ts
 * nodeVersionProblem('`npm start`', '20.19.0')
 * // 'Murmur needs Node.js 22 or newer (this is v20.19.0); install Node.js 22, or from a Murmur checkout run `npm start`'
 * nodeVersionProblem('`npm start`', '22.12.0') // undefined
 * ```
 */
export function nodeVersionProblem (run: string, version: string = process.versions.node): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1])
  if (major >= MIN_NODE_MAJOR) {
    return undefined
  }
  return `Murmur needs Node.js ${MIN_NODE_MAJOR} or newer (this is v${version.replace(/^v/, '')}); install Node.js ${MIN_NODE_MAJOR}, or from a Murmur checkout run ${run}`
}

/**
 * Prints {@link nodeVersionProblem} to stderr and exits with code 1 when this Node.js is too old; returns
 * otherwise. For entry points only: a library never exits its host.
 *
 * @example
 * ```ts
 * exitUnlessSupportedNode('`npm run murmur -- …` (it brings Node.js 22)')
 * ```
 */
export function exitUnlessSupportedNode (run: string): void {
  const problem = nodeVersionProblem(run)
  if (problem !== undefined) {
    process.stderr.write(`${problem}\n`)
    process.exit(1)
  }
}
