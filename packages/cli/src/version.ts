/**
 * The version of the `murmur` command, read from its package.json.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** Version of `@murmur/cli` (this file compiles to dist/src, two levels below package.json). */
export const VERSION: string = (require('../../package.json') as { version: string }).version
