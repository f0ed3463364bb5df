/**
 * The `murmur` command once bin.ts has checked the Node.js version: runs the program and exits with
 * its code.
 */
import './debug-colors.js'
import { run } from './program.js'

const code = await run(process.argv)
// let pending output reach a pipe before exiting; libp2p may hold timers that would keep us alive
process.stdout.write('', () => { process.exit(code) })
