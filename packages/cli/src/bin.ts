#!/usr/bin/env node
/**
 * Entry point of the `murmur` command. It checks the Node.js version before anything else loads:
 * static imports run first, and on Node.js 20 libp2p's would crash with a message that says nothing
 * of the version, so the command itself is loaded only once the check passed.
 */
import { exitUnlessSupportedNode } from '@murmur/node/node-version'

exitUnlessSupportedNode('`npm run murmur -- <command>` in the Murmur folder (it brings Node.js 22)')
await import('./main.js')
