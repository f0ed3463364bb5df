/**
 * libp2p's logger (weald) asks whether stderr is a terminal each time a logger is created, which libp2p
 * does for every stream it opens: 3–5 % of a busy node's CPU in a profile of the crowd bench. Asked once
 * here, before libp2p loads, unless the user set DEBUG_COLORS. Import this module first.
 */
import { isatty } from 'node:tty'

process.env.DEBUG_COLORS ??= String(isatty(process.stderr.fd))
