/**
 * The `murmur` command once bin.ts has checked the Node.js version: runs the program and exits with
 * its code.
 */
import './debug-colors.js'
import { ready } from '@murmur/protocol'
import { run } from './program.js'

// libsodium's WASM before any command touches a key (@murmur/protocol awaits nothing at import)
await ready()
const code = await run(process.argv)
// let pending output reach a pipe before exiting; libp2p may hold timers that would keep us alive
process.stdout.write('', () => { process.exit(code) })
