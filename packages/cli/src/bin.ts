#!/usr/bin/env node
/**
 * Entry point of the `murmur` command.
 */
import './debug-colors.js'
import { run } from './program.js'

const code = await run(process.argv)
// let pending output reach a pipe before exiting; libp2p may hold timers that would keep us alive
process.stdout.write('', () => { process.exit(code) })
